/**
 * BLIP: the de-biased similarity estimate is close to the exact similarity of the true
 * profiles for identical, half-overlapping and disjoint profiles (the reference
 * implementation's BLIP test asserted nothing), while the naive similarity of flipped
 * bits is not.
 */
import assert from 'node:assert/strict';
import { flipProbability, Profile, randomize, topicKey } from '../../../protocol/src/overlay/index.js';
import { runBlipExperiment, type Overlap } from '../../../protocol/sim/overlay/blip-experiment.js';
import { prng } from '../../../protocol/sim/prng.js';

const overlaps: Overlap[] = ['identical', 'half', 'disjoint'];

describe('overlay: BLIP', () => {
  it('flips each bit with probability 1 / (1 + e^(epsilon / k))', () => {
    assert.equal(flipProbability(3, 3), 1 / (1 + Math.E));
    const exact = Profile.fromTopics(['a', 'b', 'c'].map(topicKey));
    const published = randomize(exact, 1, prng(4));
    let differ = 0;
    for (let i = 0; i < exact.size; i++) if (exact.has(i) !== published.has(i)) differ++;
    const p = flipProbability(1, exact.hashes);
    assert.ok(Math.abs(differ / exact.size - p) < 0.15, `${differ} of ${exact.size} bits flipped, expected about ${(p * exact.size).toFixed(0)}`);
    assert.equal(published.flip, p);
  });

  for (const epsilon of [5, 10]) {
    it(`at epsilon ${epsilon} the de-biased estimate is within 0.05 of the exact similarity`, () => {
      for (const overlap of overlaps) {
        const r = runBlipExperiment(overlap, epsilon, 100);
        assert.ok(Math.abs(r.estimate - r.exact) < 0.05, `${overlap}: estimate ${r.estimate.toFixed(3)}, exact ${r.exact.toFixed(3)}`);
      }
    });
  }

  it('at epsilon 1 (heavy noise) the estimate stays near (0.2) while the naive similarity does not', () => {
    const identical = runBlipExperiment('identical', 1, 200);
    const half = runBlipExperiment('half', 1, 200);
    const disjoint = runBlipExperiment('disjoint', 1, 200);
    for (const r of [identical, half, disjoint]) assert.ok(Math.abs(r.estimate - r.exact) < 0.2, `${r.overlap}: estimate ${r.estimate.toFixed(3)}, exact ${r.exact.toFixed(3)}`);
    assert.ok(identical.estimate > half.estimate && half.estimate > disjoint.estimate, 'the estimates keep the order');
    assert.ok(Math.abs(identical.naive - identical.exact) > 0.4, `naive ${identical.naive.toFixed(3)} for identical profiles`);
  });
});
