/**
 * Peak memory of the `weft` processes a test runs (Linux: /proc/<pid>/status VmHWM, the
 * resident set's high-water mark), a one-shot `weft peer` command measured so, and the
 * CPU time a process used (/proc/<pid>/stat, in the usual 100 ticks a second).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { WEFT } from './broker-helpers.js';
import { memberIdentity } from './peer-procs.js';

/** The process's peak resident memory so far, in MiB; undefined where /proc does not say. */
export function peakMiB(pid: number | undefined): number | undefined {
  return statusMiB(pid, 'VmHWM');
}

/** A memory field of /proc/<pid>/status (given in kB), in MiB. */
function statusMiB(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) the process has used so far, in seconds; undefined where /proc does not say. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function describeMiB(mib: number | undefined): string {
  return mib === undefined ? 'unknown (no /proc)' : `${mib} MiB`;
}

export interface MeasuredRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  /** Peak resident memory, sampled every 50 ms until the process exited. */
  readonly peakMiB: number | undefined;
  readonly ms: number;
}

/** Runs `weft peer ...args` as the member of the folder after --dir, sampling its peak memory. */
export async function peerCliMeasured(args: string[], timeoutMs: number): Promise<MeasuredRun> {
  const dir = args[args.indexOf('--dir') + 1]!;
  const started = Date.now();
  const proc = spawn(process.execPath, [WEFT, 'peer', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEFT_IDENTITY: memberIdentity(dir) } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  let peak: number | undefined;
  const sample = setInterval(() => (peak = peakMiB(proc.pid) ?? peak), 50);
  const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((res) => proc.on('exit', (c) => res(c)));
  clearInterval(sample);
  clearTimeout(killer);
  return { stdout, stderr, code, peakMiB: peak, ms: Date.now() - started };
}

/** The process's resident memory now, in MiB (/proc/<pid>/status VmRSS); undefined where /proc does not say. */
export function rssMiB(pid: number | undefined): number | undefined {
  return statusMiB(pid, 'VmRSS');
}

/** Files (and sockets) the process holds open now (/proc/<pid>/fd); undefined where /proc does not say. */
export function openFiles(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}
