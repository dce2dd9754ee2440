/**
 * New-topic quotas per source (issue 18). In open mode anyone holding a topic key can
 * make a broker store a topic, and minting a topic key is free: one outsider stored 2,000
 * topics at 300 a second and, with a global cap, locked every honest new share out. So
 * besides the global maxTopics, each source may create only so many new topics: per peer
 * key (its Noise-authenticated identity) and per network address (an IPv6 address counts
 * by its /64, what one host or site usually holds), each a token bucket of
 * `newTopicsPer...` at once that refills at the same number per hour. A flood from one
 * source then stores at most its quota and honest shares from elsewhere keep being
 * stored; the allowlist mode stays the stronger option for a broker that must store
 * nothing for strangers. Time is an argument (milliseconds), never read here.
 */
import { TokenBucket } from './limits.js';

/** Who opened a channel, as the runtime tells the broker. */
export interface ChannelSource {
  /** The remote's public key, hex. */
  readonly peer: string;
  /** The remote's IP address as seen on the connection, when the transport knows it. */
  readonly address?: string;
}

export interface TopicQuotaLimits {
  /** New topics one peer key may create at once; it gets as many again per hour. */
  readonly newTopicsPerPeer: number;
  /** New topics one address (an IPv6 /64) may create at once; as many again per hour. */
  readonly newTopicsPerAddress: number;
}

const HOUR_S = 3600;
/** Above this many tracked sources, full buckets (sources back at their whole quota) are forgotten. */
const PRUNE_ABOVE = 10_000;

export class NewTopicQuota {
  private readonly peers = new Map<string, TokenBucket>();
  private readonly addresses = new Map<string, TokenBucket>();

  constructor(private readonly limits: TopicQuotaLimits) {}

  /**
   * Takes one new topic from the source's quotas at `now`; a reason naming the limit
   * when either is used up (then nothing is taken).
   */
  take(source: ChannelSource, now: number): string | undefined {
    const peer = this.bucket(this.peers, source.peer, this.limits.newTopicsPerPeer, now);
    const addressKey = source.address === undefined ? undefined : addressGroup(source.address);
    const address = addressKey === undefined ? undefined : this.bucket(this.addresses, addressKey, this.limits.newTopicsPerAddress, now);
    if (address && !address.has(now, 1)) {
      return `new topics per address: ${addressKey} already created ${this.limits.newTopicsPerAddress} here, at most ${this.limits.newTopicsPerAddress} at once and as many per hour; try later, or ask the operator to list the topic (--allow-topic)`;
    }
    if (!peer.has(now, 1)) {
      return `new topics per peer: this peer key already created ${this.limits.newTopicsPerPeer} here, at most ${this.limits.newTopicsPerPeer} at once and as many per hour; try later, or ask the operator to list the topic (--allow-topic)`;
    }
    peer.take(now);
    address?.take(now);
    return undefined;
  }

  private bucket(map: Map<string, TokenBucket>, key: string, perHour: number, now: number): TokenBucket {
    let b = map.get(key);
    if (!b) {
      if (map.size >= PRUNE_ABOVE) for (const [k, v] of map) if (v.full(now)) map.delete(k);
      map.set(key, (b = new TokenBucket(perHour / HOUR_S, perHour)));
    }
    return b;
  }
}

/** The part of an address that counts as one source: an IPv4 address, or an IPv6 address's /64. */
export function addressGroup(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!a.includes(':')) return a;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = a.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
