/**
 * Benchmark reporting (docs/BENCHMARKS.md): a readable table on stdout and one JSON
 * object per figure appended to bench/results.jsonl.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Figure {
  figure: string;
  weft: number;
  unit: string;
  baseline?: string;
  baseline_value?: number;
  input?: string;
  runs?: number;
  note?: string;
}

const RESULTS = 'bench/results.jsonl';

export function printMachine(): void {
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${new Date().toISOString()}`);
}

/** Lower is better for these units (messages, nats, s and hops: the overlay's); higher for the rest (per_s, mb_s). */
function lowerIsBetter(f: Figure): boolean {
  return /_(ms|bytes|rss|round_trips)$/.test(f.figure) || ['ms', 'bytes', 'round_trips', 'messages', 'nats', 's', 'hops'].includes(f.unit);
}

export function record(f: Figure): void {
  mkdirSync('bench', { recursive: true });
  appendFileSync(RESULTS, JSON.stringify(f) + '\n');
  const ratio =
    f.baseline_value !== undefined && f.baseline_value !== 0
      ? ` | ${f.baseline}: ${fmt(f.baseline_value)} ${f.unit} | weft/${f.baseline} = ${(f.weft / f.baseline_value).toFixed(3)} (${lowerIsBetter(f) ? 'lower' : 'higher'} is better)`
      : '';
  console.log(`${f.figure.padEnd(34)} weft: ${fmt(f.weft)} ${f.unit}${ratio}${f.runs ? ` [median of ${f.runs}]` : ''}`);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs fn `warmup` times unmeasured, then `runs` times; returns the median in ms. */
export async function timeMedian(fn: () => unknown | Promise<unknown>, runs = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}
