/**
 * A member's WANT repaired across the ring (docs/OVERLAY.md, "Brokers use it"): the ids a
 * member asked for that this broker lacks are asked of its ring neighbours once, and the
 * members waiting for each are remembered until it arrives or the ask expires.
 *
 * An ask made while the topic has no ring link yet (the broker has just begun to carry
 * it: its ring forms within a few gossip periods) waits, unsent, for the first link.
 *
 * Bounded three ways: one outstanding ask per id (a second WANT for it only adds a
 * waiter), a token bucket of ids asked per second across all members, and at most
 * MAX_RING_ASKS ids outstanding. A ring neighbour answers from its store and never asks
 * further (Broker.want asks only for member channels), so an id nobody holds costs one
 * WANT per ring link per RING_ASK_MS, and no loop.
 */
import type { CommitId } from '../log/ids.js';
import type { ChannelId } from './broker-types.js';
import { TokenBucket } from './limits.js';

/** How long an ask waits for an answer; an id asked again after that is asked anew. */
export const RING_ASK_MS = 30_000;
/** Ids outstanding at once, across all topics. */
export const MAX_RING_ASKS = 4096;
/** Ids asked of ring neighbours per second (burst: twice this). */
export const RING_ASKS_PER_SECOND = 256;
/** Members waiting for one id (more get it from their own next WANT once it is stored). */
const MAX_WAITERS = 32;

interface Ask {
  readonly topicHex: string;
  readonly waiters: Set<ChannelId>;
  readonly expires: number;
  /** Sent to a ring link; false while the topic has no link yet (sent when one opens). */
  sent: boolean;
}

export class RingWants {
  private readonly asks = new Map<CommitId, Ask>();
  private readonly budget = new TokenBucket(RING_ASKS_PER_SECOND, RING_ASKS_PER_SECOND * 2);
  /** Ids sent to ring links since start (status). */
  sentCount = 0;

  /**
   * `waiter` wants `ids` of a topic, all lacking here: records it as waiting for each, and
   * returns the ids new to ask the ring for (those not asked already, within the bounds).
   * `linked`: the topic has a ring link to send them on now; otherwise they wait for one
   * (unsent), so a WANT that came before the ring formed is not forgotten.
   */
  ask(topicHex: string, ids: readonly CommitId[], waiter: ChannelId, now: number, linked: boolean): CommitId[] {
    this.expire(now);
    const fresh: CommitId[] = [];
    for (const id of ids) {
      const current = this.asks.get(id);
      if (current) {
        if (current.topicHex === topicHex && current.waiters.size < MAX_WAITERS) current.waiters.add(waiter);
        continue;
      }
      if (this.asks.size >= MAX_RING_ASKS || !this.budget.take(now)) break;
      this.asks.set(id, { topicHex, waiters: new Set([waiter]), expires: now + RING_ASK_MS, sent: linked });
      fresh.push(id);
    }
    if (linked) this.sentCount += fresh.length;
    return fresh;
  }

  /** A ring link for the topic opened: the ids still waiting for one, to send on it now. */
  unsent(topicHex: string, now: number): CommitId[] {
    this.expire(now);
    const ids: CommitId[] = [];
    for (const [id, ask] of this.asks) {
      if (ask.sent || ask.topicHex !== topicHex) continue;
      ask.sent = true;
      ids.push(id);
    }
    this.sentCount += ids.length;
    return ids;
  }

  /** Was `id` of this topic asked of the ring, and is the ask still open? */
  asked(id: CommitId, topicHex: string, now: number): boolean {
    const ask = this.asks.get(id);
    return ask !== undefined && ask.topicHex === topicHex && ask.expires > now;
  }

  /** `id` arrived here (from the ring or anywhere): the members that waited for it. */
  arrived(id: CommitId): ReadonlySet<ChannelId> {
    const ask = this.asks.get(id);
    this.asks.delete(id);
    return ask?.waiters ?? new Set();
  }

  /** A channel closed: it waits for nothing. */
  forget(channel: ChannelId): void {
    for (const ask of this.asks.values()) ask.waiters.delete(channel);
  }

  /** Ids outstanding now. */
  get size(): number {
    return this.asks.size;
  }

  /** Asks are kept in the order made, each expiring RING_ASK_MS later: the oldest go first. */
  private expire(now: number): void {
    for (const [id, ask] of this.asks) {
      if (ask.expires > now) return;
      this.asks.delete(id);
    }
  }
}
