/**
 * The overlay's defence against misbehaving nodes: a node that sends a malformed or
 * oversized message, or more than `maxGossipPerRound` gossip messages in one round, is
 * banned. A banned node's messages are ignored, it is removed from every view, and its
 * id is not taken into a view again, whoever names it.
 */
import type { PeerId } from './descriptor.js';
import { checkMessage, isGossip, type OverlayLimits, type OverlayMessage, type OverlayMessageError } from './messages.js';

export class FloodingError extends Error {
  override readonly name = 'FloodingError';
}

export type RejectReason = OverlayMessageError | FloodingError;

export interface GuardOptions extends OverlayLimits {
  /** Gossip messages accepted from one node per round (default 24; events are limited by the broker's topic quotas). */
  maxGossipPerRound?: number;
}

export class PeerGuard {
  private readonly banned = new Set<PeerId>();
  private readonly counts = new Map<PeerId, number>();
  private round = -1;
  private readonly maxGossipPerRound: number;

  constructor(readonly options: GuardOptions = {}) {
    this.maxGossipPerRound = options.maxGossipPerRound ?? 24;
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
    }
    const invalid = checkMessage(message, this.options);
    if (invalid) {
      this.banned.add(from);
      return invalid;
    }
    if (!isGossip(message)) return undefined;
    const n = (this.counts.get(from) ?? 0) + 1;
    this.counts.set(from, n);
    if (n > this.maxGossipPerRound) {
      this.banned.add(from);
      return new FloodingError(`${from} sent ${n} gossip messages in round ${round}, more than ${this.maxGossipPerRound}`);
    }
    return undefined;
  }
}
