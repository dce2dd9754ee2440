/**
 * BLIP (Alaggan, Gambs, Kermarrec: "BLIP: Non-interactive Differentially-Private
 * Similarity Computation on Bloom filters"): a node publishes its profile with every bit
 * flipped independently with probability p = 1 / (1 + e^(epsilon / k)), k the bits set
 * per topic, which makes the published filter epsilon-differentially private with
 * respect to any one subscription. Smaller epsilon: more privacy, noisier similarity.
 *
 * Similarity between flipped filters is estimated without bias: an observed bit b' has
 * E[b'] = p + (1 - 2p) b, so (b' - p) / (1 - 2p) is an unbiased estimate of the true bit,
 * products of two such estimates (independent noise) are unbiased for the AND, and a
 * fold of halves (x + y - xy) stays unbiased for their OR. The cosine is then computed
 * from the estimated inner product and the estimated bit counts.
 */
import type { Random } from '../ports/clock.js';
import { Profile, similarity } from './profile.js';

export function flipProbability(epsilon: number, hashes: number): number {
  if (!(epsilon > 0)) throw new RangeError(`BLIP epsilon must be > 0, got ${epsilon}`);
  return 1 / (1 + Math.exp(epsilon / hashes));
}

/** The profile to publish: each bit of `exact` flipped with BLIP's probability for `epsilon`. */
export function randomize(exact: Profile, epsilon: number, random: Random): Profile {
  const p = flipProbability(epsilon, exact.hashes);
  const words = exact.words.slice();
  for (let i = 0; i < words.length; i++) {
    let mask = 0;
    for (let b = 0; b < 32; b++) if (random() < p) mask |= 1 << b;
    words[i] ^= mask;
  }
  return new Profile(words, exact.hashes, p);
}

/** Each bit's unbiased estimate, folded (OR-wise, in expectation) to `size` bits. */
function debiased(profile: Profile, size: number): Float64Array {
  const p = profile.flip;
  const scale = 1 / (1 - 2 * p);
  let v = new Float64Array(profile.size);
  for (let i = 0; i < v.length; i++) v[i] = ((profile.has(i) ? 1 : 0) - p) * scale;
  while (v.length > size) {
    const half = v.length >>> 1;
    const next = new Float64Array(half);
    for (let i = 0; i < half; i++) next[i] = v[i] + v[i + half] - v[i] * v[i + half];
    v = next;
  }
  return v;
}

/**
 * The similarity of two profiles, either of which may be BLIP-randomised: exact when
 * neither is, otherwise the de-biased estimate (which may stray a little outside [0, 1]).
 */
export function estimatedSimilarity(a: Profile, b: Profile): number {
  if (a.flip === 0 && b.flip === 0) return similarity(a, b);
  const size = Math.min(a.size, b.size);
  const x = debiased(a, size);
  const y = debiased(b, size);
  let both = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < size; i++) {
    both += x[i] * y[i];
    nx += x[i];
    ny += y[i];
  }
  // Not clamped to [0, 1]: clamping would bias the mean of estimates near 0 and 1.
  return nx <= 0 || ny <= 0 ? 0 : both / Math.sqrt(nx * ny);
}

/** The similarity computed on flipped bits as if they were exact (what a naive node would get). */
export function naiveSimilarity(a: Profile, b: Profile): number {
  return similarity(new Profile(a.words, a.hashes), new Profile(b.words, b.hashes));
}
