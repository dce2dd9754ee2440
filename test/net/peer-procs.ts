/**
 * Helpers for tests that run `weft peer` as real processes on loopback. Several members
 * run on one machine, each with an identity of its own (tools/peers/peer-cli.ts, which
 * the benchmarks share).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { NodeFolder } from '../../protocol/mirror/node-folder.js';
import { textOf } from '../../protocol/mirror/file-bytes.js';
import { WEFT, killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';
import { memberEnv } from '../../tools/peers/peer-cli.js';

export { makeShare, memberIdentity, peerCli } from '../../tools/peers/peer-cli.js';

const children = new Set<ChildProcess>();

export class PeerProc {
  out = '';
  readonly exited: Promise<number | null>;
  private constructor(
    readonly dir: string,
    readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((res) =>
      proc.on('exit', (code) => {
        children.delete(proc);
        res(code);
      }),
    );
    proc.stdout!.on('data', (b: Buffer) => (this.out += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (this.out += b.toString()));
  }

  /** Starts `weft peer run --dir dir ...args` and waits until it mirrors (a large share's first pass takes a while). */
  static async run(dir: string, args: string[] = [], env: Record<string, string> = {}, prefix: string[] = [], startMs = 15_000): Promise<PeerProc> {
    const cmd = [...prefix, process.execPath, WEFT, 'peer', 'run', '--dir', dir, ...args];
    const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...memberEnv(['--dir', dir]), ...env } });
    children.add(proc);
    const p = new PeerProc(dir, proc);
    await waitUntil(() => p.out.includes('mirroring'), startMs, () => `peer in ${dir} did not start:\n${p.out}`);
    return p;
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }
}

/** How many commits a running peer's last status line says it holds. */
export function commitsHeld(p: PeerProc): number {
  const counts = [...p.out.matchAll(/^status: .*, (\d+) commits/gm)];
  return Number(counts.at(-1)?.[1] ?? 0);
}

/** Creates (if needed) one folder per name under root; returns their paths. */
export function folders(root: string, names: string[]): string[] {
  return names.map((n) => {
    const d = join(root, n);
    mkdirSync(d, { recursive: true });
    return d;
  });
}

/** Kills every peer process still running (after() hooks). */
export function killPeers(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

/** A folder's text files as a member sees them (Weft's and Git's folders left out): path -> text. */
export async function readTextFiles(dir: string): Promise<Map<string, string>> {
  const folder = await NodeFolder.open(dir);
  const out = new Map<string, string>();
  for (const path of (await folder.list()).keys()) {
    const bytes = await folder.read(path).catch(() => undefined);
    const text = bytes && textOf(bytes);
    if (text !== undefined) out.set(path, text);
  }
  return out;
}

export async function folderState(dir: string): Promise<string> {
  return JSON.stringify([...(await readTextFiles(dir))].sort(([a], [b]) => a.localeCompare(b)));
}

/** Waits until every folder holds the same text files and `check` accepts them. */
export async function waitConverged(dirs: string[], timeoutMs: number, check: (files: Map<string, string>) => boolean, procs: PeerProc[]): Promise<Map<string, string>> {
  let states: string[] = [];
  await waitUntil(
    async () => {
      states = await Promise.all(dirs.map(folderState));
      return states.every((s) => s === states[0]) && check(new Map(JSON.parse(states[0]!) as Array<[string, string]>));
    },
    timeoutMs,
    () => `folders differ:\n${states.join('\n')}\n--- logs ---\n${procs.map((p) => `[${p.dir}]\n${p.out.split('\n').slice(-30).join('\n')}`).join('\n')}`,
  );
  return new Map(JSON.parse(states[0]!) as Array<[string, string]>);
}

/** Random bytes a mirror takes as binary (a NUL among the first 8000, surely). */
export function randomBinary(size: number): Buffer {
  const b = randomBytes(size);
  b[0] = 0;
  return b;
}

/** Writes atomically, by a rename from outside the folder (the mirror never sees half a file). */
export function saveAtomically(dir: string, name: string, bytes: Uint8Array): void {
  const tmp = join(dir, '..', `${name}.partial`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(dir, name));
}

export function append(dir: string, path: string, text: string): void {
  appendFileSync(join(dir, path), text);
}

/** Inserts `text` at the start of a file (an edit in the middle of the share's text, not a plain append). */
export function prepend(dir: string, path: string, text: string): void {
  const p = join(dir, path);
  writeFileSync(p, text + readFileSync(p, 'utf8'));
}

/** What brokerSuite gives a describe block's tests. */
export interface BrokerSuite {
  /** A temporary folder for the block, removed after it. */
  readonly root: string;
  /** A `weft broker` running for the whole block. */
  readonly broker: BrokerProcess;
}

/** Call inside describe(): a temporary root and a broker before the tests; every process killed and the root removed after. */
export function brokerSuite(name: string): BrokerSuite {
  const suite = {} as { root: string; broker: BrokerProcess };
  before(async () => {
    suite.root = tempDir(name);
    suite.broker = await startBroker(join(suite.root, 'broker'));
  });
  after(() => {
    killPeers();
    killAll();
    removeDir(suite.root);
  });
  return suite;
}
