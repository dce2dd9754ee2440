#!/usr/bin/env node
/**
 * `npm run sim -- [--seeds N] [--from S] [--seed S] [--workers W] [--no-faults] [--verbose] [--json]`:
 * runs the simulation's scenario mix (protocol/sim/scenario.ts) on seeds S .. S+N-1,
 * on W worker threads (default: one per core), and prints each failing seed with what
 * failed and the command that replays it. CI runs 1,000 seeds
 * (test/protocol/sim/scenarios.test.ts); a soak runs as many as asked.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runScenario, type ScenarioResult } from '../protocol/sim/index.js';

interface WorkerJob {
  readonly seeds: number[];
  readonly faults: boolean;
}

if (!isMainThread) {
  const job = workerData as WorkerJob;
  for (const seed of job.seeds) parentPort!.postMessage(await runScenario({ seed, faults: job.faults }));
} else {
  await main();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      seed: { type: 'string' },
      workers: { type: 'string' },
      'no-faults': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const from = values.seed !== undefined ? count('seed', values.seed) : count('from', values.from);
  const seeds = values.seed !== undefined ? 1 : count('seeds', values.seeds);
  const faults = !values['no-faults'];
  const workers = Math.max(1, Math.min(seeds, values.workers !== undefined ? count('workers', values.workers) : availableParallelism()));
  const say = (line: string): void => {
    if (!values.json) console.log(line);
  };

  const started = Date.now();
  const failed: ScenarioResult[] = [];
  let done = 0;
  let events = 0;
  const onResult = (result: ScenarioResult): void => {
    done++;
    events += result.stats.events;
    if (values.verbose || seeds === 1) say(describe(result));
    if (result.failures.length > 0) {
      failed.push(result);
      say(`FAILED ${describe(result)}`);
      for (const f of result.failures) say(`  - ${f}`);
      say(`  replay: npm run sim -- --seed ${result.seed}${faults ? '' : ' --no-faults'}`);
    }
    if (!values.verbose && done % 100 === 0) console.error(`${done} of ${seeds} seeds, ${failed.length} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };

  if (workers === 1) {
    for (let seed = from; seed < from + seeds; seed++) onResult(await runScenario({ seed, faults }));
  } else {
    const jobs: number[][] = Array.from({ length: workers }, () => []);
    for (let seed = from; seed < from + seeds; seed++) jobs[(seed - from) % workers]!.push(seed);
    await Promise.all(
      jobs.map(
        (jobSeeds) =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: { seeds: jobSeeds, faults } satisfies WorkerJob });
            worker.on('message', (result: ScenarioResult) => onResult(result));
            worker.on('error', reject);
            worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a simulation worker exited with code ${code}`))));
          }),
      ),
    );
  }
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    seeds,
    from,
    to: from + seeds - 1,
    failed: failed.map((r) => ({ seed: r.seed, failures: r.failures, replay: `npm run sim -- --seed ${r.seed}${faults ? '' : ' --no-faults'}` })),
    seconds,
    seedsPerMinute: seeds / (seconds / 60),
    eventsPerSecond: events / seconds,
    workers,
  };
  if (values.json) console.log(JSON.stringify(summary));
  else say(`${seeds} seeds run (${from} .. ${from + seeds - 1}), ${failed.length} failed, in ${seconds.toFixed(1)} s on ${workers} workers (${summary.seedsPerMinute.toFixed(0)} seeds/min, ${summary.eventsPerSecond.toFixed(0)} events/s)`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`weft sim: --${name} must be a whole number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

function describe(result: ScenarioResult): string {
  const s = result.stats;
  return `seed ${result.seed}: ${s.members} members, ${s.brokers} brokers, ${s.linesTyped} lines typed, ${s.crashes} crashes, ${s.partitions} partitions${s.revoked ? ', a revocation' : ''}; ${s.events} events, ${(s.virtualMs / 1000).toFixed(0)} simulated s`;
}
