#!/usr/bin/env node
/**
 * `npm run sim -- [--mix whole|access|dishonest] [--seeds N] [--from S] [--seed S] [--workers W] [--no-faults] [--attacks all|a,b] [--verbose] [--json]`:
 * runs a seeded mix on seeds S .. S+N-1, on W worker threads (default: one per core), and
 * prints each failing seed with what failed and the command that replays it.
 * - whole (default): whole nodes in the simulator (protocol/sim/scenario.ts); CI runs
 *   1,000 seeds (test/protocol/sim/scenarios.test.ts).
 * - access: concurrent admins and a dishonest writer at the replica level
 *   (protocol/sim/access-mix.ts); CI runs 2,000 (test/protocol/sim/access-mix.test.ts).
 * - dishonest: whole nodes with a dishonest member and concurrent admins
 *   (protocol/sim/dishonest-scenario.ts; test/protocol/sim/dishonest.test.ts); `--attacks`
 *   picks the dishonest member's attacks (default: every one).
 * A soak runs as many as asked.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ATTACKS, DEFAULT_ATTACKS, runAccessMix, runDishonestMix, runScenario, type Attack } from '../protocol/sim/index.js';

type Mix = 'whole' | 'access' | 'dishonest';
const MIXES: readonly Mix[] = ['whole', 'access', 'dishonest'];

interface WorkerJob {
  readonly mix: Mix;
  readonly seeds: number[];
  readonly faults: boolean;
  readonly attacks: readonly Attack[];
}

/** One seed's outcome, whatever the mix. */
interface SeedResult {
  readonly seed: number;
  readonly failures: string[];
  /** What the seed ran, in a line. */
  readonly summary: string;
  readonly events: number;
  /** Found but not failing: what the mix reports as still open. */
  readonly notes: string[];
}

async function runSeed(mix: Mix, seed: number, faults: boolean, attacks: readonly Attack[]): Promise<SeedResult> {
  if (mix === 'dishonest') {
    const r = await runDishonestMix({ seed, faults, attacks });
    const s = r.stats;
    const attacked = Object.entries(s.attacks)
      .filter(([, n]) => n > 0)
      .map(([a, n]) => `${a} ${n}`)
      .join(', ');
    const summary = `seed ${seed}: ${s.members} members, ${s.brokers} brokers, ${s.play}, ${s.revocations} revocations (revoked in the end: ${s.revokedInEnd.join(', ') || 'nobody'}), ${s.linesTyped} lines, ${s.commits} commits, ${s.forks} forks; mallory: ${attacked || 'no attack'} (${s.craftedCommits} crafted commits); ${s.crashes} crashes, ${s.partitions} partitions; ${s.events} events, ${(s.virtualMs / 1000).toFixed(0)} simulated s`;
    return { seed, failures: r.failures, summary, events: s.events, notes: r.notes };
  }
  if (mix === 'access') {
    const r = runAccessMix(seed);
    return { seed, failures: [...r.disagreements, ...r.leaks, ...r.unreadable], summary: `seed ${seed}: ${r.commits} commits, ${r.revocations} revocations, ${r.forks} forks`, events: r.commits, notes: [] };
  }
  const result = await runScenario({ seed, faults });
  const s = result.stats;
  const summary = `seed ${seed}: ${s.members} members, ${s.brokers} brokers, ${s.linesTyped} lines typed, ${s.crashes} crashes, ${s.partitions} partitions${s.revoked ? ', a revocation' : ''}; ${s.events} events, ${(s.virtualMs / 1000).toFixed(0)} simulated s`;
  return { seed, failures: result.failures, summary, events: s.events, notes: [] };
}

if (!isMainThread) {
  const job = workerData as WorkerJob;
  for (const seed of job.seeds) parentPort!.postMessage(await runSeed(job.mix, seed, job.faults, job.attacks));
} else {
  await main();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      seed: { type: 'string' },
      mix: { type: 'string', default: 'whole' },
      attacks: { type: 'string' },
      workers: { type: 'string' },
      'no-faults': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const from = values.seed !== undefined ? count('seed', values.seed) : count('from', values.from);
  const seeds = values.seed !== undefined ? 1 : count('seeds', values.seeds);
  const faults = !values['no-faults'];
  if (!MIXES.includes(values.mix as Mix)) {
    console.error(`weft sim: --mix is ${MIXES.join(', ')}, got ${JSON.stringify(values.mix)}`);
    process.exit(2);
  }
  const mix = values.mix as Mix;
  const attacks = values.attacks === undefined ? DEFAULT_ATTACKS : values.attacks === 'all' ? ATTACKS : values.attacks.split(',');
  const unknown = attacks.filter((a) => !(ATTACKS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`weft sim: --attacks is all or a list of ${ATTACKS.join(', ')}; unknown: ${unknown.join(', ')}`);
    process.exit(2);
  }
  const replay = (seed: number): string => `npm run sim -- --seed ${seed}${mix === 'whole' ? '' : ` --mix ${mix}`}${faults ? '' : ' --no-faults'}${values.attacks === undefined ? '' : ` --attacks ${values.attacks}`}`;
  const workers = Math.max(1, Math.min(seeds, values.workers !== undefined ? count('workers', values.workers) : availableParallelism()));
  const say = (line: string): void => {
    if (!values.json) console.log(line);
  };

  const started = Date.now();
  const failed: SeedResult[] = [];
  const noted: SeedResult[] = [];
  let done = 0;
  let events = 0;
  const onResult = (result: SeedResult): void => {
    done++;
    events += result.events;
    if (values.verbose || seeds === 1) say(result.summary);
    if (result.notes.length > 0) {
      noted.push(result);
      if (values.verbose || seeds === 1) for (const n of result.notes) say(`  note: ${n}`);
    }
    if (result.failures.length > 0) {
      failed.push(result);
      say(`FAILED ${result.summary}`);
      for (const f of result.failures) say(`  - ${f}`);
      say(`  replay: ${replay(result.seed)}`);
    }
    if (!values.verbose && done % 100 === 0) console.error(`${done} of ${seeds} seeds, ${failed.length} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };

  if (workers === 1) {
    for (let seed = from; seed < from + seeds; seed++) onResult(await runSeed(mix, seed, faults, attacks as Attack[]));
  } else {
    const jobs: number[][] = Array.from({ length: workers }, () => []);
    for (let seed = from; seed < from + seeds; seed++) jobs[(seed - from) % workers]!.push(seed);
    await Promise.all(
      jobs.map(
        (jobSeeds) =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: { mix, seeds: jobSeeds, faults, attacks: attacks as Attack[] } satisfies WorkerJob });
            worker.on('message', (result: SeedResult) => onResult(result));
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
    mix,
    failed: failed.map((r) => ({ seed: r.seed, failures: r.failures, replay: replay(r.seed) })),
    /** Seeds with findings the mix reports as still open (not failures). */
    noted: noted.map((r) => ({ seed: r.seed, notes: r.notes })),
    seconds,
    seedsPerMinute: seeds / (seconds / 60),
    eventsPerSecond: events / seconds,
    workers,
  };
  if (values.json) console.log(JSON.stringify(summary));
  else say(`${seeds} seeds of the ${mix} mix run (${from} .. ${from + seeds - 1}), ${failed.length} failed${noted.length ? `, ${noted.length} with open findings` : ''}, in ${seconds.toFixed(1)} s on ${workers} workers (${summary.seedsPerMinute.toFixed(0)} seeds/min, ${summary.eventsPerSecond.toFixed(0)} events/s)`);
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
