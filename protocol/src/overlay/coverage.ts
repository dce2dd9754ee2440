/**
 * Which descriptors to keep or send in VICINITY: those that together cover most of a
 * profile's topics, as PolderCast's VICINITY favours the topics a node has fewest
 * neighbours for. Ranking by whole-profile similarity alone favours peers that share
 * several popular topics, so a subscriber of a rare topic was never sent the few peers
 * that share it, and its ring stayed empty (the 10,000-node runs' misses, docs/OVERLAY.md).
 *
 * Profiles are Bloom filters, so coverage is counted on bits: a pick is worth the wanted
 * bits it sets that no earlier pick set; a pick worth a single bit (most likely a Bloom
 * collision) is not taken for coverage, and what coverage leaves is ranked by similarity.
 * Greedy, the usual approximation of maximum coverage. Bits are compared at the target's
 * size: a smaller filter repeats, a larger one folds (profile.ts).
 */
import { estimatedSimilarity } from './blip.js';
import type { Descriptor } from './descriptor.js';
import { popcount32, type Profile } from './profile.js';

export interface CoveringOptions {
  /** Similarity to the target (default: BLIP's estimate against it). */
  similarityTo?: (profile: Profile) => number;
  /** Consulted for each pick: false drops the descriptor without using a slot (the caller counts what it accepts). */
  accept?: (d: Descriptor) => boolean;
}

/**
 * Up to `k` descriptors of `pool` chosen to cover the bits of `wanted` (a profile's words,
 * or part of them: the topics still in need), then by similarity to `target`.
 *
 * Lazy greedy (as CELF): a pick's worth only falls as others are picked, so the worths
 * last computed bound the current ones; candidates wait in order of them and only the
 * first is recomputed until it stays first. This runs several times a round for every
 * node: recomputing every candidate for every pick took a seventh of the simulator's time.
 */
export function covering(target: Profile, wanted: Uint32Array, pool: readonly Descriptor[], k: number, options: CoveringOptions = {}): Descriptor[] {
  const accept = options.accept ?? (() => true);
  const n = wanted.length;
  const uncovered = wanted.slice();
  const worthOf = (bits: Uint32Array): number => {
    let worth = 0;
    for (let i = 0; i < n; i++) worth += popcount32(bits[i] & uncovered[i]);
    return worth;
  };
  const threshold = 2; // a single bit: most likely a Bloom collision
  // Waiting candidates, best last (popped from the end), with the worth last computed and
  // their bits at the target's size, fetched once: profiles lie scattered in memory, and
  // fetching the bits again for each recount and pick showed in profiles (covering with
  // wordsAt: 19.1% of the simulator before, 17.7% after).
  const waiting: Array<{ d: Descriptor; bits: Uint32Array; worth: number; fresh: boolean }> = [];
  for (const d of pool) {
    const bits = d.profile.wordsAt(n);
    const worth = worthOf(bits);
    if (worth >= threshold) waiting.push({ d, bits, worth, fresh: true });
  }
  waiting.sort((a, b) => a.worth - b.worth);
  const chosen: Descriptor[] = [];
  const taken = new Set<Descriptor>();
  while (chosen.length < k && waiting.length > 0) {
    const top = waiting[waiting.length - 1];
    if (!top.fresh) {
      top.worth = worthOf(top.bits);
      top.fresh = true;
      waiting.pop();
      if (top.worth < threshold) continue;
      let at = waiting.length;
      while (at > 0 && waiting[at - 1].worth > top.worth) at--;
      waiting.splice(at, 0, top);
      continue;
    }
    waiting.pop();
    taken.add(top.d);
    if (!accept(top.d)) continue;
    chosen.push(top.d);
    for (let i = 0; i < n; i++) uncovered[i] &= ~top.bits[i];
    for (const w of waiting) w.fresh = false;
  }
  if (chosen.length < k) {
    const similarityTo = options.similarityTo ?? ((p: Profile) => estimatedSimilarity(target, p));
    const ranked = pool.filter((d) => !taken.has(d)).map((d) => ({ d, s: similarityTo(d.profile) }));
    ranked.sort((a, b) => b.s - a.s || a.d.age - b.d.age);
    for (const r of ranked) {
      if (chosen.length === k) break;
      if (accept(r.d)) chosen.push(r.d);
    }
  }
  return chosen;
}
