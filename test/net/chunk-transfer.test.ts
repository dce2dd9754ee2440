/**
 * Chunk transfer between real processes over loopback TCP (protocol/transport): a 50 MB
 * object fetched from a child process, interrupted by killing it, resumed from a restarted
 * one; a lying server's chunks rejected and fetched from an honest one.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectWriter, readObject, type FetchProgress, type ObjectRef } from '../../protocol/src/chunks/index.js';
import { sha256, toHex } from '../../protocol/src/crypto/index.js';
import { fetchObjectFrom } from '../../protocol/runtime/chunk-transfer.js';
import { PackChunkStore } from '../../protocol/storage/chunk-store-pack.js';
import type { Transport } from '../../protocol/transport/index.js';
import { fillPattern, testKeys } from '../../tools/samples/chunk-data.js';
import { chunkClient, killChunkServers, openChunkChannel, startChunkServer } from '../../tools/chunk-server/chunk-server-procs.js';

const MB = 1024 * 1024;
const keys = testKeys(8);

/** Writes a pattern file of `size` bytes into the store; returns its root and SHA-256. */
async function storePattern(store: PackChunkStore, seed: number, size: number): Promise<{ root: ObjectRef; hash: string }> {
  const w = new ObjectWriter(keys);
  const piece = new Uint8Array(MB);
  const puts: Promise<unknown>[] = [];
  const hashParts: Uint8Array[] = [];
  for (let at = 0; at < size; at += MB) {
    const p = piece.subarray(0, Math.min(MB, size - at));
    fillPattern(seed, at, p);
    hashParts.push(p.slice());
    for (const c of w.write(p)) puts.push(store.putSealed(c.ref.id, c.ciphertext));
  }
  const { root, chunks } = w.finish();
  for (const c of chunks) puts.push(store.putSealed(c.ref.id, c.ciphertext));
  await Promise.all(puts);
  return { root, hash: toHex(sha256(hashParts)) };
}

async function readHash(store: PackChunkStore, root: ObjectRef): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const p of readObject(root, (id) => store.get(id))) parts.push(p);
  return toHex(sha256(parts));
}

describe('chunk transfer between processes (loopback TCP)', function () {
  this.timeout(60_000);
  let work: string;
  let big: { root: ObjectRef; hash: string };
  let small: { root: ObjectRef; hash: string };
  let client: Transport;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'weft-chunk-transfer-'));
    const src = await PackChunkStore.open(join(work, 'served'));
    big = await storePattern(src, 1, 50 * MB);
    small = await storePattern(src, 2, 4 * MB);
    await src.close();
    await cp(join(work, 'served'), join(work, 'served-copy'), { recursive: true });
    client = await chunkClient();
  });
  after(async () => {
    killChunkServers();
    await client?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('fetches 50 MB, survives the server being killed midway, resumes from a restarted server', async () => {
    const local = await PackChunkStore.open(join(work, 'local-big'));
    try {
      const server = await startChunkServer(join(work, 'served'));
      const progress: FetchProgress[] = [];
      let killed = false;
      const first = await fetchObjectFrom(big.root, local, new Map([['a', await openChunkChannel(client, server)]]), {
        onProgress: (p) => {
          progress.push(p);
          if (!killed && p.bytesDone > big.root.size * 0.3) {
            killed = true;
            server.proc.kill('SIGKILL');
          }
        },
      });
      await server.exited;
      assert.equal(first.complete, false);
      assert.ok(first.bytesDone > big.root.size * 0.3 && first.bytesDone < big.root.size, `first run: ${first.bytesDone}`);
      assert.ok(progress.length > 100 && progress.every((p, i) => i === 0 || p.bytesDone >= progress[i - 1]!.bytesDone));

      const again = await startChunkServer(join(work, 'served'));
      const second = await fetchObjectFrom(big.root, local, new Map([['a2', await openChunkChannel(client, again)]]));
      assert.equal(second.complete, true, JSON.stringify(second));
      assert.equal(second.rejected, 0);
      // only what was missing crossed the network the second time
      assert.ok(second.bytesFetched < big.root.size * 0.75, `second run fetched ${second.bytesFetched}`);
      assert.equal(await readHash(local, big.root), big.hash);
      again.proc.kill('SIGTERM');
      await again.exited;
    } finally {
      await local.close();
    }
  });

  it('rejects a lying server’s chunks and fetches them from an honest one', async () => {
    const local = await PackChunkStore.open(join(work, 'local-small'));
    try {
      const liar = await startChunkServer(join(work, 'served-copy'), true);
      const honest = await startChunkServer(join(work, 'served'));
      const channels = new Map([
        ['liar', await openChunkChannel(client, liar)],
        ['honest', await openChunkChannel(client, honest)],
      ]);
      const r = await fetchObjectFrom(small.root, local, channels);
      assert.equal(r.complete, true, JSON.stringify(r));
      assert.ok(r.rejected > 0, 'the liar was asked and caught');
      assert.equal(await readHash(local, small.root), small.hash);
    } finally {
      await local.close();
    }
  });
});
