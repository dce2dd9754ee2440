/**
 * A node's subscription profile: a Bloom filter of the topics it subscribes to, sized
 * to its real subscription count (so a node with 3 topics sends 64 bits and one with
 * 500 sends about 8 kbit, and both keep the same false-positive rate).
 *
 * Sizes are powers of two and a topic's bits are `(h1 + i * h2) mod size` (double
 * hashing), so a filter folds to any smaller power of two by OR-ing its halves: two
 * profiles of different sizes are compared at the smaller size, where the folded larger
 * filter is exactly the filter its topics would have made at that size.
 */
import { stringHash32 } from '../codec/string-hash.js';

export interface ProfileOptions {
  /** Filter bits per subscribed topic before rounding up to a power of two (default 10). */
  bitsPerTopic?: number;
  /** Bits set per topic (default 3: few, since BLIP's flip probability grows with it). */
  hashes?: number;
}

export const MIN_PROFILE_BITS = 64;

/** A topic's two 32-bit hashes, computed once and reused at every filter size. */
export interface TopicKey {
  readonly topic: string;
  readonly h1: number;
  readonly h2: number;
}

export function topicKey(topic: string): TopicKey {
  // h2 odd: with a power-of-two size, the k positions are then distinct for k <= size.
  return { topic, h1: stringHash32(topic, 0), h2: (stringHash32(topic, 0x9e3779b9) | 1) >>> 0 };
}

export function bitPosition(key: TopicKey, i: number, size: number): number {
  return ((key.h1 + Math.imul(i, key.h2)) >>> 0) & (size - 1);
}

/** The bits of `keys` in a filter of `size` bits with `hashes` bits a topic (a profile's words, or the part of them still wanted). */
export function topicBits(keys: readonly TopicKey[], size: number, hashes: number): Uint32Array {
  const words = new Uint32Array(size >>> 5);
  for (const key of keys) {
    for (let i = 0; i < hashes; i++) {
      const b = bitPosition(key, i, size);
      words[b >>> 5] |= 1 << (b & 31);
    }
  }
  return words;
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export class Profile {
  private cachedCount = -1;
  /** wordsAt's results, by log2 of the size in words (an array: a Map lookup cost more than the folding saved). */
  private readonly seenAt: Array<Uint32Array | undefined> = [];

  /**
   * `words` holds `size` bits; `size` is a power of two >= MIN_PROFILE_BITS. `flip` is
   * the probability with which BLIP flipped each bit (0 for an exact profile).
   */
  constructor(
    readonly words: Uint32Array,
    readonly hashes: number,
    readonly flip = 0,
  ) {}

  static fromTopics(topics: Iterable<TopicKey>, options: ProfileOptions = {}): Profile {
    const keys = [...topics];
    const hashes = options.hashes ?? 3;
    const size = profileSize(keys.length, options.bitsPerTopic ?? 10);
    return new Profile(topicBits(keys, size, hashes), hashes);
  }

  get size(): number {
    return this.words.length << 5;
  }

  has(bit: number): boolean {
    return ((this.words[bit >>> 5] >>> (bit & 31)) & 1) === 1;
  }

  /** True if the topic may be subscribed (false positives at the filter's rate; no false negatives). */
  mightContain(key: TopicKey): boolean {
    const size = this.size;
    for (let i = 0; i < this.hashes; i++) if (!this.has(bitPosition(key, i, size))) return false;
    return true;
  }

  /** Bits set. */
  count(): number {
    if (this.cachedCount < 0) {
      let c = 0;
      for (const w of this.words) c += popcount32(w);
      this.cachedCount = c;
    }
    return this.cachedCount;
  }

  /** This filter at a smaller power-of-two size (OR of its halves, repeatedly). */
  foldTo(size: number): Uint32Array {
    return this.wordsAt(size >>> 5);
  }

  /**
   * This filter seen at `n` words: folded (OR of its halves, repeatedly) when it is larger,
   * repeated when it is smaller (bit b of a smaller filter stands for every bit b + k x its
   * size). Kept: profiles never change, and the simulator compares each one thousands of times.
   */
  wordsAt(n: number): Uint32Array {
    const own = this.words;
    if (n === own.length) return own;
    const slot = 31 - Math.clz32(n);
    let seen = this.seenAt[slot];
    if (seen) return seen;
    seen = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      if (own.length < n) {
        seen[i] = own[i & (own.length - 1)];
        continue;
      }
      let folded = 0;
      for (let j = i; j < own.length; j += n) folded |= own[j];
      seen[i] = folded;
    }
    this.seenAt[slot] = seen;
    return seen;
  }
}

/** The filter size for `topics` subscriptions: a power of two >= topics * bitsPerTopic. */
export function profileSize(topics: number, bitsPerTopic: number): number {
  let size = MIN_PROFILE_BITS;
  while (size < topics * bitsPerTopic) size <<= 1;
  return size;
}

/**
 * Cosine similarity of two exact profiles' bit vectors, in [0, 1]: 1 for the same
 * topics, about |A ∩ B| / sqrt(|A| |B|) otherwise (Bloom false positives add a little).
 */
export function similarity(a: Profile, b: Profile): number {
  const small = a.size <= b.size ? a : b;
  const large = a.size <= b.size ? b : a;
  const x = small.words;
  const y = large.wordsAt(x.length);
  let both = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    both += popcount32(x[i] & y[i]);
    ny += popcount32(y[i]);
  }
  const nx = small.count();
  return nx === 0 || ny === 0 ? 0 : both / Math.sqrt(nx * ny);
}
