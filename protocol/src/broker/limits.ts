/**
 * The broker's limits and the token bucket that enforces its rates. Time is an
 * argument (milliseconds), never read from a clock here.
 */

export interface BrokerLimits {
  /** Largest commit envelope accepted in an EVENT or through SYNC (ERROR too-large above). */
  maxEventBytes: number;
  /** Stored bytes per topic (events and key boxes); ERROR quota above. */
  topicQuotaBytes: number;
  /** Chunk bytes (binary files' ciphertext) stored per topic; chunks beyond are refused with ERROR quota. */
  topicChunkQuotaBytes: number;
  /** Largest chunk accepted (writers cut at most 64 KiB plus a little overhead). */
  maxChunkBytes: number;
  /** Topics the broker stores at most; a new topic beyond it is refused with ERROR quota. */
  maxTopics: number;
  /** New topics one peer key may create at once, and again per hour (topic-quota.ts). */
  newTopicsPerPeer: number;
  /** New topics one address (IPv4, or IPv6 /64) may create at once, and again per hour. */
  newTopicsPerAddress: number;
  /** Topics one connection may be subscribed to at once. */
  maxSubscriptionsPerChannel: number;
  /**
   * Publish window: events (and key messages) one connection may have waiting to be
   * durable. While it is full the runtime stops reading that connection, so a member
   * that publishes faster than the disk is slowed by flow control, never cut off.
   */
  publishWindowEvents: number;
  /** The same window in bytes. */
  publishWindowBytes: number;
  /**
   * Sustained messages per second per connection (burst: twice this), for everything
   * that takes no window: new valid events are paced by the window instead.
   */
  messagesPerSecond: number;
  /** Sustained bytes per second per connection (burst: twice this). */
  bytesPerSecond: number;
  /** PRESENCE messages per second per connection (burst: twice this). */
  presencePerSecond: number;
  /** Refusals (bad input, rate limit) a connection may cause in a burst before it is closed; one is forgiven per second. */
  maxStrikes: number;
  /** SYNC sessions one connection may hold at once. */
  maxSyncSessionsPerChannel: number;
}

export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxEventBytes: 1 << 20,
  topicQuotaBytes: 256 * 1024 * 1024,
  topicChunkQuotaBytes: 4 * 1024 * 1024 * 1024,
  maxChunkBytes: 1 << 20,
  maxTopics: 10_000,
  newTopicsPerPeer: 16,
  newTopicsPerAddress: 64,
  maxSubscriptionsPerChannel: 1024,
  publishWindowEvents: 512,
  publishWindowBytes: 8 * 1024 * 1024,
  messagesPerSecond: 2000,
  bytesPerSecond: 16 * 1024 * 1024,
  presencePerSecond: 30,
  maxStrikes: 50,
  maxSyncSessionsPerChannel: 64,
});

/** A token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes `cost` tokens if available at time `now` (ms); false (nothing taken) otherwise. */
  take(now: number, cost = 1): boolean {
    this.refill(now);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** True if `cost` tokens are available at `now` (nothing taken). */
  has(now: number, cost = 1): boolean {
    this.refill(now);
    return this.tokens >= cost;
  }

  /** True once the bucket has refilled to its burst at `now`. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  /** Takes `cost` tokens even if that leaves a debt; true when the bucket was not empty. */
  drain(now: number, cost: number): boolean {
    this.refill(now);
    const ok = this.tokens > 0;
    this.tokens -= cost;
    return ok;
  }

  private refill(now: number): void {
    if (this.last !== undefined && now > this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = this.last === undefined ? now : Math.max(this.last, now);
  }
}
