/**
 * `npm run bench -- sim`: the deterministic simulator's speed (issue 16).
 * - sim.seeds_per_min: seeds of the CI scenario mix (protocol/sim/scenario.ts) per
 *   minute, on one worker per core as `npm run sim` and CI run them; goal >= 300.
 * - sim.events_per_s: simulated events (messages, timers, fsyncs) processed per
 *   wall-clock second, in that mix.
 * - sim.nodes_max: the largest whole-node run (peers and brokers; teams of 5 on shared
 *   brokers, typing for 60 simulated seconds, protocol/sim/scale-scenario.ts) tried here
 *   that completes in under 10 minutes; sizes are tried upwards (WEFT_SIM_SIZES) until
 *   one takes longer or fails to converge. Goal: 1,000.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScale } from '../protocol/sim/index.js';
import { record } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const LIMIT_MS = 10 * 60_000;

export async function run(): Promise<void> {
  const seeds = Number(process.env.WEFT_SIM_BENCH_SEEDS ?? 300);
  const cli = spawnSync(process.execPath, [join(here, '../bin/sim.js'), '--seeds', String(seeds), '--from', '100001', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const summary = JSON.parse(cli.stdout.trim().split('\n').at(-1) ?? '{}') as { seedsPerMinute: number; eventsPerSecond: number; failed: unknown[]; workers: number; seconds: number };
  const input = `${seeds} seeds of the CI mix (100001..), ${summary.workers} workers, ${summary.failed.length} failed`;
  record({ figure: 'sim.seeds_per_min', weft: Math.round(summary.seedsPerMinute), unit: 'seeds/min', input, note: 'goal >= 300' });
  record({ figure: 'sim.events_per_s', weft: Math.round(summary.eventsPerSecond), unit: 'events/s', input, note: 'all workers together' });

  const sizes = (process.env.WEFT_SIM_SIZES ?? '250,500,1000,2000').split(',').map(Number);
  let largest = 0;
  for (const nodes of sizes) {
    const t0 = performance.now();
    const result = await runScale({ seed: nodes, nodes });
    const ms = performance.now() - t0;
    console.log(`  ${nodes} nodes (${result.peers} peers in ${result.teams} teams, ${result.brokers} brokers): ${(ms / 1000).toFixed(1)} s wall for 60 simulated s, ${result.events} events (${Math.round(result.events / (ms / 1000))}/s), ${result.commits} commits, converged: ${result.converged}`);
    if (!result.converged || ms > LIMIT_MS) break;
    largest = nodes;
    if (ms > LIMIT_MS / 2) break; // the next size (double) would not finish in time
  }
  record({ figure: 'sim.nodes_max', weft: largest, unit: 'nodes', input: `teams of 5 on shared brokers, 60 simulated s, tried ${sizes.join(', ')}`, note: 'goal >= 1000 in under 10 minutes' });
}
