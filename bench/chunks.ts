/**
 * `npm run bench -- chunks`: binary files as encrypted, content-addressed chunks.
 *
 * - chunks.store_mb_s: chunk, encrypt, hash and store a 200 MB file into a
 *   PackChunkStore in a temp dir (streamed in 1 MiB pieces, up to 16 puts in flight,
 *   putSealed: the writer's ids are not hashed again); baseline node-sha256: one
 *   SHA-256 of the same bytes in the same run.
 * - chunks.store_file_mb_s: the same into a FileChunkStore (one file per chunk).
 * - chunks.store_mem_mb_s: the same without the file system (informative).
 * - chunks.edit_new_bytes: bytes newly stored (data + tree nodes) after a 1-byte change
 *   in a 50 MB file already stored.
 * - chunks.transfer_mb_s: fetch a 200 MB object (all its chunks, verified, into a fresh
 *   PackChunkStore) from another process serving it over protocol/transport TCP on
 *   loopback (tools/chunk-server/chunk-server-fixture.ts); goal >= 50 MB/s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  sha256,
  ObjectWriter,
  writeObject,
  type ConvergenceKeys,
  type ObjectRef,
  type WrittenChunk,
  type ChunkStore,
} from '../protocol/src/index.js';
import { FileChunkStore, PackChunkStore, MemoryChunkStore } from '../protocol/storage/index.js';
import { fetchObjectFrom } from '../protocol/runtime/index.js';
import { patternBytes, testKeys } from '../tools/samples/chunk-data.js';
import { chunkClient, killChunkServers, openChunkChannel, startChunkServer } from '../tools/chunk-server/chunk-server-procs.js';
import { median, record } from './report.js';

const MB = 1024 * 1024;
const PIECE = MB;
const MAX_PUTS_IN_FLIGHT = 16;

async function storeFile(keys: ConvergenceKeys, file: Uint8Array, store: ChunkStore | undefined): Promise<ObjectRef> {
  const w = new ObjectWriter(keys);
  const inFlight = new Set<Promise<unknown>>();
  const put = async (chunks: WrittenChunk[]) => {
    if (!store) return;
    for (const c of chunks) {
      while (inFlight.size >= MAX_PUTS_IN_FLIGHT) await Promise.race(inFlight);
      const p: Promise<unknown> = store.putSealed(c.ref.id, c.ciphertext).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  };
  for (let at = 0; at < file.length; at += PIECE) await put(w.write(file.subarray(at, at + PIECE)));
  const { root, chunks } = w.finish();
  await put(chunks);
  await Promise.all(inFlight);
  return root;
}

/** Fetches `size` bytes' object from a child process over loopback TCP, `runs` times after a warm-up. */
async function transferMs(keys: ConvergenceKeys, file: Uint8Array, runs: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-transfer-'));
  const client = await chunkClient();
  try {
    const served = await PackChunkStore.open(join(dir, 'served'));
    const root = await storeFile(keys, file, served);
    await served.close();
    const server = await startChunkServer(join(dir, 'served'));
    const out: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const local = await PackChunkStore.open(join(dir, `local-${i}`));
      const channel = await openChunkChannel(client, server);
      let complete = false;
      const ms = await timed(async () => (complete = (await fetchObjectFrom(root, local, new Map([['server', channel]]))).complete));
      await channel.close();
      await local.close();
      await rm(join(dir, `local-${i}`), { recursive: true, force: true });
      if (!complete) throw new Error('transfer did not complete');
      if (i > 0) out.push(ms);
    }
    return out;
  } finally {
    killChunkServers();
    await client.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function run(): Promise<void> {
  const keys = testKeys(1);
  const size = 200 * MB;
  const file = patternBytes(1, size);
  const runs = 3;

  const shaMs: number[] = [];
  const memMs: number[] = [];
  const fileMs: number[] = [];
  const packMs: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const s = await timed(() => sha256(file));
    const m = await timed(() => storeFile(keys, file, undefined));
    const dir = await mkdtemp(join(tmpdir(), 'weft-bench-chunks-'));
    const f = await timed(() => storeFile(keys, file, new FileChunkStore(join(dir, 'files'))));
    // open and close are part of the measured work
    const p = await timed(async () => {
      const pack = await PackChunkStore.open(join(dir, 'pack'));
      await storeFile(keys, file, pack);
      await pack.close();
    });
    await rm(dir, { recursive: true, force: true });
    if (i === 0) continue; // warm-up
    shaMs.push(s);
    memMs.push(m);
    fileMs.push(f);
    packMs.push(p);
  }
  const mbs = (ms: number) => size / MB / (ms / 1000);
  const shaMbs = mbs(median(shaMs));
  record({ figure: 'chunks.store_mb_s', weft: mbs(median(packMs)), unit: 'MB/s', baseline: 'node-sha256', baseline_value: shaMbs, input: '200 MB pseudo-random, PackChunkStore', runs, note: 'goal: >= 1/3 of baseline' });
  record({ figure: 'chunks.store_file_mb_s', weft: mbs(median(fileMs)), unit: 'MB/s', baseline: 'node-sha256', baseline_value: shaMbs, input: '200 MB pseudo-random, FileChunkStore', runs });
  record({ figure: 'chunks.store_mem_mb_s', weft: mbs(median(memMs)), unit: 'MB/s', baseline: 'node-sha256', baseline_value: shaMbs, input: '200 MB pseudo-random, chunks not stored', runs });

  const transfer = await transferMs(keys, file, runs);
  record({ figure: 'chunks.transfer_mb_s', weft: mbs(median(transfer)), unit: 'MB/s', input: '200 MB object, one server process, loopback TCP, fresh PackChunkStore', runs, note: 'goal: >= 50 MB/s' });

  const edit = patternBytes(2, 50 * MB);
  const store = new MemoryChunkStore();
  const first = writeObject(keys, edit);
  for (const c of first.chunks) await store.put(c.ref.id, c.ciphertext);
  const newBytes: number[] = [];
  for (const pos of [0.5, 0.25, 0.75, 0.1, 0.9]) {
    const copy = edit.slice();
    copy[Math.floor(copy.length * pos)]! ^= 0x01;
    const second = writeObject(keys, copy);
    let n = 0;
    const probe = new MemoryChunkStore();
    for (const c of second.chunks) if (!(await store.has(c.ref.id))) n += (await probe.put(c.ref.id, c.ciphertext)).bytesStored;
    newBytes.push(n);
  }
  record({ figure: 'chunks.edit_new_bytes', weft: median(newBytes), unit: 'bytes', input: '1-byte change in 50 MB (5 positions)', runs: newBytes.length, note: `goal: <= 65536; all: ${newBytes.join(', ')}` });
}
