/**
 * The overlay's defence against misbehaving nodes: a node that sends a malformed or
 * oversized message, or gossip faster than the rates below, is banned. A banned node's
 * messages are ignored, it is removed from every view, and its id is not taken into a
 * view again, whoever names it.
 *
 * Rates are token buckets per sender, over time measured in gossip periods (`at`): the
 * simulator's round number, or the broker's clock divided by its period. A bucket holds
 * `burstRounds` rounds' worth of a rate and refills at the rate, continuously, so what a
 * sender may send depends only on how fast it sends, never on where a round boundary
 * falls: with the simulator's integer rounds and `burstRounds` 1 it is exactly a limit
 * per round, and in real time a flooder just under one window's limit, or one that
 * splits a burst across a boundary, empties its bucket all the same.
 */
import type { PeerId } from './descriptor.js';
import { checkMessage, isGossip, type OverlayLimits, type OverlayMessage, type OverlayMessageError } from './messages.js';

export class FloodingError extends Error {
  override readonly name = 'FloodingError';
}

export type RejectReason = OverlayMessageError | FloodingError;

export interface GuardOptions extends OverlayLimits {
  /** CYCLON, VICINITY and descriptor messages accepted from one node per round (default 24; events are limited by the broker's topic quotas). */
  maxGossipPerRound?: number;
  /** Ring messages accepted from one node per round for one topic (default 4) and for all topics (default 256). */
  maxRingPerTopic?: number;
  maxRingPerRound?: number;
  /** Rounds' worth of each rate a sender may send at once (default 1: a plain limit per round). */
  burstRounds?: number;
}

/**
 * Token buckets by key: each holds up to `rate x burst` tokens, refills at `rate` per
 * round, and a message takes one. A key whose bucket would be full again is forgotten.
 */
class RateBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private prunedAt = -Infinity;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  /** Takes a token for `key` at time `at`; false when its bucket is empty (the sender is over the rate). */
  take(key: string, at: number): boolean {
    const capacity = this.rate * this.burst;
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, { tokens: capacity - 1, at });
      return capacity >= 1;
    }
    // A clock that went back refills nothing (the broker's is the wall clock).
    const tokens = Math.min(capacity, bucket.tokens + Math.max(0, at - bucket.at) * this.rate);
    bucket.tokens = tokens - 1;
    bucket.at = Math.max(at, bucket.at);
    return tokens >= 1;
  }

  /** Forgets full buckets, once a burst's time has passed since the last sweep: the map holds only recent senders. */
  prune(at: number): void {
    if (at - this.prunedAt < this.burst) return;
    this.prunedAt = at;
    const capacity = this.rate * this.burst;
    for (const [key, b] of this.buckets) if (b.tokens + (at - b.at) * this.rate >= capacity) this.buckets.delete(key);
  }
}

export class PeerGuard {
  private readonly banned = new Set<PeerId>();
  /** Gossip per node, ring messages per node and topic, ring messages per node. */
  private readonly gossip: RateBuckets;
  private readonly ringPerTopic: RateBuckets;
  private readonly ringTotal: RateBuckets;

  constructor(readonly options: GuardOptions = {}) {
    const burst = options.burstRounds ?? 1;
    this.gossip = new RateBuckets(options.maxGossipPerRound ?? 24, burst);
    this.ringPerTopic = new RateBuckets(options.maxRingPerTopic ?? 4, burst);
    this.ringTotal = new RateBuckets(options.maxRingPerRound ?? 256, burst);
  }

  isBanned(id: PeerId): boolean {
    return this.banned.has(id);
  }

  /** Bans a node for a reason found elsewhere (bytes that do not decode, a bad signature). */
  ban(id: PeerId): void {
    this.banned.add(id);
  }

  bannedCount(): number {
    return this.banned.size;
  }

  /**
   * Undefined when the message may be handled; otherwise why it was refused (the sender
   * is banned from then on, and a banned sender's messages are refused without a reason).
   * `at` is the time in gossip periods (see the top of the file).
   */
  admit(from: PeerId, message: OverlayMessage, at: number): RejectReason | 'banned' | undefined {
    if (this.banned.has(from)) return 'banned';
    const invalid = checkMessage(message, this.options);
    if (invalid) {
      this.banned.add(from);
      return invalid;
    }
    if (!isGossip(message)) return undefined;
    // A node gossips each of its topics' rings with few others a round, so ring messages
    // are counted per topic (and in all); sampling and clustering messages per node.
    const ring = message.kind === 'ring-request' || message.kind === 'ring-response';
    return ring ? this.count(from, at, message.topic) : this.count(from, at);
  }

  /**
   * Counts a gossip message of a kind this node does not know (a newer node's: it is
   * dropped, not handled) against its sender's gossip rate, so that unknown kinds cannot
   * be used to flood. Undefined, 'banned', or the FloodingError that bans it now.
   */
  admitUnknown(from: PeerId, at: number): FloodingError | 'banned' | undefined {
    if (this.banned.has(from)) return 'banned';
    return this.count(from, at);
  }

  /** One gossip message (a ring message when `topic` is given) from `from`; a FloodingError when it is over a rate. */
  private count(from: PeerId, at: number, topic?: string): FloodingError | undefined {
    this.gossip.prune(at);
    this.ringPerTopic.prune(at);
    this.ringTotal.prune(at);
    const over =
      topic === undefined
        ? !this.gossip.take(from, at)
        : !this.ringPerTopic.take(`${from}\n${topic}`, at) || !this.ringTotal.take(from, at);
    if (!over) return undefined;
    this.banned.add(from);
    return new FloodingError(`${from} sent ${topic === undefined ? 'gossip' : 'ring'} messages faster than the limit (at ${at.toFixed(2)} periods)`);
  }
}
