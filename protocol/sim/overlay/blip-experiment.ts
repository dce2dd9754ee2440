/**
 * BLIP's similarity estimate (issue 20): for identical, half-overlapping and disjoint
 * profiles, the de-biased estimate between a node's exact profile and another's
 * randomised one at a given epsilon, averaged over `trials` randomisations, beside the
 * exact similarity and the naive one (flipped bits taken as they are).
 */
import { estimatedSimilarity, naiveSimilarity, Profile, randomize, similarity, topicKey } from '../../src/overlay/index.js';
import { prng } from '../prng.js';

export type Overlap = 'identical' | 'half' | 'disjoint';

export interface BlipOutcome {
  overlap: Overlap;
  epsilon: number;
  exact: number;
  estimate: number;
  naive: number;
}

/** Two profiles of `topics` topics each with the given overlap. */
export function profilePair(overlap: Overlap, topics = 20): [Profile, Profile] {
  const shift = overlap === 'identical' ? 0 : overlap === 'half' ? topics / 2 : topics;
  const a = Array.from({ length: topics }, (_, i) => topicKey(`topic-${i}`));
  const b = Array.from({ length: topics }, (_, i) => topicKey(`topic-${i + shift}`));
  return [Profile.fromTopics(a), Profile.fromTopics(b)];
}

export function runBlipExperiment(overlap: Overlap, epsilon: number, trials = 200, seed = 3): BlipOutcome {
  const random = prng(seed);
  const [mine, theirs] = profilePair(overlap);
  let estimate = 0;
  let naive = 0;
  for (let i = 0; i < trials; i++) {
    const published = randomize(theirs, epsilon, random);
    estimate += estimatedSimilarity(mine, published);
    naive += naiveSimilarity(mine, published);
  }
  return { overlap, epsilon, exact: similarity(mine, theirs), estimate: estimate / trials, naive: naive / trials };
}
