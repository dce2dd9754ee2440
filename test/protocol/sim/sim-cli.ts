/** Runs `weft sim` (bin/sim.ts) as a process, as a developer would, and returns its JSON summary. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const simCli = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/sim.js');

export interface SimSummary {
  seeds: number;
  from: number;
  to: number;
  mix: string;
  failed: Array<{ seed: number; failures: string[]; replay: string }>;
  noted: Array<{ seed: number; notes: string[] }>;
  seconds: number;
  seedsPerMinute: number;
  eventsPerSecond: number;
  workers: number;
}

export function runSim(args: string[]): Promise<SimSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [simCli, ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as SimSummary);
      } catch {
        reject(new Error(`weft sim printed no summary: ${out.slice(-2000)}`));
      }
    });
  });
}

