/**
 * The folder mirror in the simulation (protocol/sim/folder-scenario.ts): the same seed
 * gives the same run, and every seed of the sweep keeps every check (folders equal to
 * the share and to each other, every typed line there once). A failure names its seeds
 * and what failed; WEFT_SIM_FOLDER_SEEDS / WEFT_SIM_FOLDER_FROM change the range.
 */
import assert from 'node:assert/strict';
import { runFolderScenario, runFolderSeeds } from '../../../protocol/sim/folder-scenario.js';

describe('sim/folder scenarios', () => {
  it('the same seed gives the same run (fingerprint), another seed another', async function () {
    this.timeout(60_000);
    const a = await runFolderScenario({ seed: 7 });
    const b = await runFolderScenario({ seed: 7 });
    const c = await runFolderScenario({ seed: 8 });
    assert.equal(a.fingerprint, b.fingerprint);
    assert.deepEqual(a.stats, b.stats);
    assert.notEqual(a.fingerprint, c.fingerprint);
    assert.ok(a.stats.linesTyped > 0 && a.stats.actions > 0, JSON.stringify(a.stats));
  });

  it('every seed: the folders end equal to the share, and every typed line is there once', async function () {
    const seeds = Number(process.env.WEFT_SIM_FOLDER_SEEDS ?? 200);
    const from = Number(process.env.WEFT_SIM_FOLDER_FROM ?? 1);
    this.timeout(Math.max(180_000, seeds * 3000));
    const started = Date.now();
    let ran = 0;
    const failed = await runFolderSeeds(from, seeds, {}, () => ran++);
    const seconds = (Date.now() - started) / 1000;
    console.log(`      folder simulation: ${ran} seeds run (${from} .. ${from + seeds - 1}), ${failed.length} failed, ${seconds.toFixed(0)} s (${((ran / seconds) * 60).toFixed(0)} seeds/min)`);
    assert.equal(ran, seeds);
    const report = failed.map((f) => `seed ${f.seed}:\n    ${f.failures.slice(0, 5).join('\n    ')}`).join('\n');
    assert.equal(failed.length, 0, `failing seeds (${failed.map((f) => f.seed).join(', ')}):\n${report}`);
  });
});
