/**
 * Loads the editing traces of bench/traces (see bench/traces/README.md for their source
 * and licence), shared by the text benchmark and the text tests. The folder is found from
 * this module's location, compiled (out/bench/) or not (bench/), never outside the
 * repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** [position, deleteCount, insertText] in code points (the traces are ASCII: UTF-16 units). */
export type Patch = [number, number, string];

export interface SequentialTrace {
  endContent: string;
  txns: Array<{ patches: Patch[] }>;
}

export interface ConcurrentTrace {
  kind: 'concurrent';
  numAgents: number;
  endContent: string;
  txns: Array<{ parents: number[]; agent: number; patches: Patch[] }>;
}

export function tracesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, 'traces'), resolve(here, '../../bench/traces')];
  for (const c of candidates) if (existsSync(join(c, 'automerge-paper.json.gz'))) return c;
  throw new Error(`editing traces not found; looked in ${candidates.join(', ')}`);
}

export function loadTrace<T = SequentialTrace>(name: string): T {
  return JSON.parse(gunzipSync(readFileSync(join(tracesDir(), `${name}.json.gz`))).toString('utf8')) as T;
}
