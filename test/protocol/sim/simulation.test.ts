/**
 * The simulator runs whole nodes deterministically, and its checks can fail: the same
 * seed gives the same run bit for bit, another seed another run, and a team that
 * converges passes every check of the scenario.
 */
import assert from 'node:assert/strict';
import { runScenario } from '../../../protocol/sim/scenario.js';

describe('sim/simulation', () => {
  it('same seed, same run: every log line, text and head is identical', async () => {
    for (const seed of [3, 30]) {
      const first = await runScenario({ seed });
      const second = await runScenario({ seed });
      assert.equal(second.fingerprint, first.fingerprint, `seed ${seed} ran differently the second time`);
      assert.deepEqual(second.stats, first.stats);
    }
  });

  it('another seed, another run', async () => {
    const a = await runScenario({ seed: 11 });
    const b = await runScenario({ seed: 12 });
    assert.notEqual(a.fingerprint, b.fingerprint);
  });

  it('the checks catch an injected bug: a disk that acknowledges before fsync loses acknowledged commits in a crash', async () => {
    const caught: number[] = [];
    for (let seed = 1; seed <= 40 && caught.length === 0; seed++) {
      const result = await runScenario({ seed, lyingDisks: true });
      if (result.failures.some((f) => f.includes('did not have it after a crash'))) caught.push(seed);
    }
    assert.ok(caught.length > 0, 'no seed of 1..40 caught a lying disk');
  });

  it('a team without faults converges, and every typed line is there once', async () => {
    const result = await runScenario({ seed: 5, faults: false, members: 5, brokers: 2 });
    assert.deepEqual(result.failures, []);
    assert.equal(result.stats.converged, true);
    assert.ok(result.stats.linesTyped > 10, `only ${result.stats.linesTyped} lines typed`);
    assert.equal(result.stats.crashes, 0);
  });
});
