/** Starts chunk-server-fixture.js processes and connects to them (transfer tests, bench). */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, PUBSUB_PROTOCOL } from '../../protocol/src/index.js';
import { createTransport, type FrameChannel, type Transport } from '../../protocol/transport/index.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'chunk-server-fixture.js');
const running = new Set<ChildProcess>();

export interface ChunkServerProc {
  readonly proc: ChildProcess;
  readonly addr: string;
  readonly exited: Promise<void>;
}

/** Spawns a server on `packDir` and waits for its address. */
export function startChunkServer(packDir: string, tamper = false): Promise<ChunkServerProc> {
  const proc = spawn(process.execPath, [FIXTURE, packDir, ...(tamper ? ['--tamper'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  const exited = new Promise<void>((res) => proc.on('exit', () => (running.delete(proc), res())));
  let out = '';
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chunk server did not start:\n${out}`)), 15_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined || !out.includes('}\n')) return;
      clearTimeout(timer);
      resolve({ proc, addr: (JSON.parse(line) as { addr: string }).addr, exited });
    });
    void exited.then(() => reject(new Error(`chunk server exited:\n${out}`)));
  });
}

/** SIGKILLs every server still running (after() hooks). */
export function killChunkServers(): void {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
}

/** A client transport with no listeners. */
export async function chunkClient(): Promise<Transport> {
  const t = createTransport({ identitySeed: randomBytes(32), listen: [] });
  await t.start();
  return t;
}

export async function openChunkChannel(client: Transport, server: ChunkServerProc): Promise<FrameChannel> {
  const peer = await client.dial(server.addr);
  return client.openChannel(peer.publicKey, PUBSUB_PROTOCOL);
}
