/**
 * The overlay's defence against misbehaving nodes: a node that sends a malformed or
 * oversized message, or more gossip in one round than the limits below, is banned. A banned node's messages are ignored, it is removed from every view, and its
 * id is not taken into a view again, whoever names it.
 */
import type { PeerId } from './descriptor.js';
import { checkMessage, isGossip, type OverlayLimits, type OverlayMessage, type OverlayMessageError } from './messages.js';

export class FloodingError extends Error {
  override readonly name = 'FloodingError';
}

export type RejectReason = OverlayMessageError | FloodingError;

export interface GuardOptions extends OverlayLimits {
  /** CYCLON and VICINITY messages accepted from one node per round (default 24; events are limited by the broker's topic quotas). */
  maxGossipPerRound?: number;
  /** Ring messages accepted from one node per round for one topic (default 4) and for all topics (default 256). */
  maxRingPerTopic?: number;
  maxRingPerRound?: number;
}

export class PeerGuard {
  private readonly banned = new Set<PeerId>();
  /** This round's counts: gossip per node, ring messages per node and topic, ring messages per node. */
  private readonly counts = new Map<PeerId, number>();
  private readonly ringCounts = new Map<string, number>();
  private readonly ringTotals = new Map<PeerId, number>();
  private round = -1;
  private readonly maxGossipPerRound: number;
  private readonly maxRingPerTopic: number;
  private readonly maxRingPerRound: number;

  constructor(readonly options: GuardOptions = {}) {
    this.maxGossipPerRound = options.maxGossipPerRound ?? 24;
    this.maxRingPerTopic = options.maxRingPerTopic ?? 4;
    this.maxRingPerRound = options.maxRingPerRound ?? 256;
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
   */
  admit(from: PeerId, message: OverlayMessage, round: number): RejectReason | 'banned' | undefined {
    if (this.banned.has(from)) return 'banned';
    if (round !== this.round) {
      this.round = round;
      this.counts.clear();
      this.ringCounts.clear();
      this.ringTotals.clear();
    }
    const invalid = checkMessage(message, this.options);
    if (invalid) {
      this.banned.add(from);
      return invalid;
    }
    if (!isGossip(message)) return undefined;
    // A node gossips each of its topics' rings with few others a round, so ring messages
    // are counted per topic (and in all); sampling and clustering messages per node.
    const ring = message.kind === 'ring-request' || message.kind === 'ring-response';
    const over =
      (ring && count(this.ringCounts, `${from}\n${message.topic}`) > this.maxRingPerTopic) ||
      (ring && count(this.ringTotals, from) > this.maxRingPerRound) ||
      (!ring && count(this.counts, from) > this.maxGossipPerRound);
    if (over) {
      this.banned.add(from);
      return new FloodingError(`${from} sent more ${ring ? 'ring' : 'gossip'} messages in round ${round} than the limit`);
    }
    return undefined;
  }
}

/** Adds one to a key's count; returns the new count. */
function count(counts: Map<string, number>, key: string): number {
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  return n;
}
