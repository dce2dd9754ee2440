/**
 * VICINITY interest clustering (Voulgaris, van Steen: "VICINITY: A Pinch of Randomness
 * Brings out the Structure"): each node keeps the `viewSize` peers whose subscription
 * profiles are the MOST similar to its own. Every round it ages its view, gossips with
 * its oldest neighbour, and both sides send the descriptors (from their VICINITY view,
 * CYCLON's random view and themselves) most similar to the OTHER side; each merges by
 * keeping the most similar of everything it knows. CYCLON's random view is always among
 * the candidates, which is what lets distant clusters find each other (the small world).
 *
 * The similarity is BLIP's estimate when profiles are randomised (blip.ts).
 *
 * At most `maxPerIntroducer` (default half the view) entries may have the same
 * introducer (provenance.ts): sybils that copy this node's profile would otherwise be
 * the most similar of all and fill the view from one sender's gossip.
 */
import type { Random } from '../ports/clock.js';
import { estimatedSimilarity } from './blip.js';
import { covering } from './coverage.js';
import { aged, type Descriptor, type PeerId } from './descriptor.js';
import { similarity, type Profile } from './profile.js';

export interface VicinityOptions {
  /** Most similar peers kept (default 10). */
  viewSize?: number;
  /** Descriptors exchanged per gossip (default 8). */
  exchangeLength?: number;
  /** Entries with the same introducer kept at most (default half the view). */
  maxPerIntroducer?: number;
}

export interface VicinityRequest {
  to: PeerId;
  descriptors: Descriptor[];
}

export class Vicinity {
  readonly viewSize: number;
  readonly exchangeLength: number;
  readonly maxPerIntroducer: number;
  private view: Descriptor[] = [];
  /**
   * Similarity of a BLIP-randomised profile to ours (its estimate is costly; exact ones are
   * compared again, see similarityTo): profiles are immutable, so it is computed once per
   * profile while it is in the cache. Bounded: a WeakMap kept every profile a node had
   * ever seen alive in the simulator (10,000 nodes x thousands of profiles).
   */
  private readonly similarityCache = new Map<Profile, number>();

  constructor(
    private readonly self: () => Descriptor,
    private readonly random: Random,
    options: VicinityOptions = {},
    /** Who named an id to this node (undefined: not capped). */
    private readonly introducerOf: (id: PeerId) => PeerId | undefined = () => undefined,
    /** The bits of this node's topics most in need of neighbours (default: its whole profile). */
    private readonly wanted: () => Uint32Array = () => self().profile.words,
  ) {
    this.viewSize = options.viewSize ?? 10;
    this.exchangeLength = options.exchangeLength ?? 8;
    this.maxPerIntroducer = options.maxPerIntroducer ?? Math.ceil(this.viewSize / 2);
  }

  peers(): Descriptor[] {
    return this.view.slice();
  }

  remove(id: PeerId): void {
    this.view = this.view.filter((d) => d.id !== id);
  }

  /** This node's own profile changed (it took on a topic): cached similarities are stale. */
  profileChanged(): void {
    this.similarityCache.clear();
  }

  /** Similarity of a profile to this node's own. */
  similarityTo(profile: Profile): number {
    const own = this.self().profile;
    // Exact profiles are compared again: a few words' popcount costs less than the lookup (profiled).
    if (own.flip === 0 && profile.flip === 0) return similarity(own, profile);
    let s = this.similarityCache.get(profile);
    if (s === undefined) {
      s = estimatedSimilarity(this.self().profile, profile);
      if (this.similarityCache.size >= 256) this.similarityCache.clear();
      this.similarityCache.set(profile, s);
    }
    return s;
  }

  /** One round's active step: gossip with the oldest neighbour (a random one while the view is empty). */
  gossip(randomPeers: readonly Descriptor[]): VicinityRequest | undefined {
    this.view = this.view.map(aged);
    let target: Descriptor | undefined;
    for (const d of this.view) if (target === undefined || d.age > target.age) target = d;
    if (target === undefined) target = randomPeers[Math.floor(this.random() * randomPeers.length)];
    if (target === undefined) return undefined;
    const to = target;
    const offer = this.closestTo(to.profile, this.candidates(randomPeers, to.id), this.exchangeLength - 1);
    return { to: to.id, descriptors: [this.self(), ...offer] };
  }

  /** The passive step: answers with what is most similar to the requester, then merges. */
  answer(from: PeerId, received: readonly Descriptor[], randomPeers: readonly Descriptor[]): Descriptor[] {
    const requester = received.find((d) => d.id === from);
    const sent = new Set(received.map((d) => d.id));
    const pool = [this.self(), ...this.candidates(randomPeers, from)].filter((d) => !sent.has(d.id));
    const reply = requester ? this.closestTo(requester.profile, pool, this.exchangeLength) : [];
    this.merge(received, randomPeers);
    return reply;
  }

  complete(received: readonly Descriptor[], randomPeers: readonly Descriptor[]): void {
    this.merge(received, randomPeers);
  }

  /**
   * Keeps the `viewSize` of the view, what was received and the random peers that best
   * cover this node's wanted topics (coverage.ts), the MOST similar for the rest.
   */
  private merge(received: readonly Descriptor[], randomPeers: readonly Descriptor[]): void {
    const me = this.self().id;
    const byId = new Map<PeerId, Descriptor>();
    // Not one spread array of the three lists: merge runs for every VICINITY message (allocation showed as GC time).
    for (const list of [this.view, received, randomPeers]) {
      for (const d of list) {
        if (d.id === me) continue;
        const known = byId.get(d.id);
        if (known === undefined || d.age < known.age) byId.set(d.id, d);
      }
    }
    const perIntroducer = new Map<PeerId, number>();
    const underCap = (d: Descriptor): boolean => {
      const by = this.introducerOf(d.id);
      if (by === undefined) return true;
      const n = perIntroducer.get(by) ?? 0;
      if (n >= this.maxPerIntroducer) return false;
      perIntroducer.set(by, n + 1);
      return true;
    };
    this.view = covering(this.self().profile, this.wanted(), [...byId.values()], this.viewSize, { similarityTo: (p) => this.similarityTo(p), accept: underCap });
  }

  private candidates(randomPeers: readonly Descriptor[], except: PeerId): Descriptor[] {
    const seen = new Set<PeerId>([except]);
    const out: Descriptor[] = [];
    for (const list of [this.view, randomPeers]) {
      for (const d of list) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        out.push(d);
      }
    }
    return out;
  }

  /** The `k` descriptors of `pool` that best cover `profile`'s topics, then the most similar to it. */
  private closestTo(profile: Profile, pool: readonly Descriptor[], k: number): Descriptor[] {
    return covering(profile, profile.words, pool, k);
  }
}
