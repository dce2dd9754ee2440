/**
 * URPS under attack: the sampler is actually filled (the reference implementation's test
 * never filled it), then its output is compared with uniform beside plain CYCLON's, on
 * the same stream in which colluding ids take a large share.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UrpsSampler } from '../../../protocol/src/overlay/index.js';
import { runUrpsExperiment } from '../../../protocol/sim/overlay/urps-experiment.js';
import { prng } from '../../../protocol/sim/prng.js';

describe('overlay: URPS sampler', () => {
  it('fills to its capacity, never beyond, and samples only its members', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (stream, capacity) => {
        const sampler = new UrpsSampler(prng(capacity), { capacity });
        const offered = new Set<string>();
        for (const n of stream) {
          sampler.offer(`n${n}`);
          offered.add(`n${n}`);
        }
        assert.equal(sampler.size, Math.min(capacity, offered.size));
        const s = sampler.sample();
        if (offered.size > 0) assert.ok(s !== undefined && offered.has(s));
      }),
    );
  });

  // The last is the mildest attack of the bench (each colluding id 2.5 times as frequent as
  // an honest one): it needs the bench's long stream to measure below the noise floor.
  for (const [attackers, share, capacity, stream] of [
    [10, 0.5, 100, 300_000],
    [100, 0.3, 50, 300_000],
    [100, 0.2, 50, 1_100_000],
  ] as const) {
    it(`${attackers} colluding ids at ${share * 100}% of the stream: KL from uniform at least 10x below plain CYCLON's`, () => {
      const r = runUrpsExperiment({ honest: 1000, attackers, attackShare: share, capacity, stream });
      assert.ok(r.samples > (2 * stream) / 3, `only ${r.samples} samples taken from a full sampler`);
      assert.ok(r.urpsKl * 10 <= r.cyclonKl, `URPS KL ${r.urpsKl.toFixed(4)}, CYCLON KL ${r.cyclonKl.toFixed(4)}`);
    });
  }

  it('forgets a removed id', () => {
    const sampler = new UrpsSampler(prng(1), { capacity: 2 });
    sampler.offer('a');
    sampler.offer('b');
    sampler.remove('a');
    assert.equal(sampler.size, 1);
    assert.equal(sampler.sample(), 'b');
  });
});
