/**
 * The deterministic simulation suite: the scenario mix (protocol/sim/scenario.ts) on
 * 1,000 seeds, run by the same command a developer runs (`npm run sim`), on one worker
 * per core. Every seed must pass every check; a failure names its seeds, what failed
 * and the command that replays each. WEFT_SIM_SEEDS / WEFT_SIM_FROM change the range.
 */
import assert from 'node:assert/strict';
import { runSim } from './sim-cli.js';

describe('sim/scenarios', () => {
  it('every seed of the scenario mix converges and keeps every check', async function () {
    const seeds = Number(process.env.WEFT_SIM_SEEDS ?? 1000);
    const from = Number(process.env.WEFT_SIM_FROM ?? 1);
    this.timeout(Math.max(120_000, seeds * 2000));
    const summary = await runSim(['--seeds', String(seeds), '--from', String(from)]);
    console.log(`      simulation: ${summary.seeds} seeds run (${summary.from} .. ${summary.to}), ${summary.failed.length} failed, ${summary.seconds.toFixed(0)} s on ${summary.workers} workers (${summary.seedsPerMinute.toFixed(0)} seeds/min)`);
    assert.equal(summary.seeds, seeds);
    const report = summary.failed.map((f) => `seed ${f.seed}:\n    ${f.failures.join('\n    ')}\n    replay: ${f.replay}`).join('\n');
    assert.equal(summary.failed.length, 0, `failing seeds:\n${report}`);
  });
});
