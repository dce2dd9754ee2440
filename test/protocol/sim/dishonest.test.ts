/**
 * The dishonest mix (protocol/sim/dishonest-scenario.ts, issue 17) through
 * `npm run sim -- --mix dishonest`: whole nodes, a member who equivocates, leaves out its
 * own commits, backdates, floods and sends junk, and two admins acting while cut off from
 * each other. Every seed: honest replicas holding the same commits agree, every member
 * ends up holding them, nothing leaks to a revoked member, every honest line is there
 * once, no honest node fails. The same seed gives the same run, and the leak check fails
 * when a revoked member is handed the key honest members write on.
 * WEFT_SIM_DISHONEST_SEEDS / WEFT_SIM_DISHONEST_FROM change the range (a soak runs more).
 *
 * The default range, 1 .. 24 (about a minute on two cores), runs every attack (poisoned
 * keys, made-up topics and foreign anchors too); seeds 1 .. 200 pass (docs/TESTING.md).
 */
import assert from 'node:assert/strict';
import { runDishonestMix } from '../../../protocol/sim/dishonest-scenario.js';
import { runSim } from './sim-cli.js';

describe('sim/dishonest mix', () => {
  it('the same seed gives the same run (fingerprint), another seed another', async function () {
    this.timeout(60_000);
    const runs = [];
    for (const seed of [4, 4, 5]) runs.push(await runDishonestMix({ seed }));
    const [first, again, other] = runs.map((r) => ({ fingerprint: r.fingerprint, stats: r.stats, failures: r.failures }));
    assert.deepEqual(again, first);
    assert.notEqual(other!.fingerprint, first!.fingerprint);
    assert.ok(first!.stats.craftedCommits > 0 && first!.stats.revocations > 0, JSON.stringify(first!.stats));
  });

  it('the leak check catches a revoked member that holds the epoch honest members write on', async function () {
    this.timeout(60_000);
    const result = await runDishonestMix({ seed: 1, bug: 'revoked-keeps-key' });
    assert.ok(result.stats.revokedInEnd.length > 0, JSON.stringify(result.stats));
    const leaks = result.failures.filter((f) => f.includes(', revoked, opens '));
    assert.ok(leaks.length > 0, `no leak reported: ${result.failures.join('; ')}`);
  });

  it('every seed: honest replicas agree, nothing leaks, every honest line is there once', async function () {
    const seeds = Number(process.env.WEFT_SIM_DISHONEST_SEEDS ?? 24);
    const from = Number(process.env.WEFT_SIM_DISHONEST_FROM ?? 1);
    this.timeout(Math.max(120_000, seeds * 10_000));
    const summary = await runSim(['--mix', 'dishonest', '--seeds', String(seeds), '--from', String(from)]);
    console.log(`      dishonest mix: ${summary.seeds} seeds run (${summary.from} .. ${summary.to}), ${summary.failed.length} failed, ${summary.noted.length} with open findings, ${summary.seconds.toFixed(0)} s on ${summary.workers} workers (${summary.seedsPerMinute.toFixed(0)} seeds/min)`);
    assert.equal(summary.seeds, seeds);
    const report = summary.failed.map((f) => `seed ${f.seed}:\n    ${f.failures.slice(0, 6).join('\n    ')}\n    replay: ${f.replay}`).join('\n');
    assert.equal(summary.failed.length, 0, `failing seeds:\n${report}`);
  });
});
