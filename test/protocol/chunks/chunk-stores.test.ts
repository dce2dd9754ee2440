import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeObject } from '../../../protocol/src/chunks/index.js';
import { FileChunkStore } from '../../../protocol/storage/chunk-store-file.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import { PackChunkStore } from '../../../protocol/storage/chunk-store-pack.js';
import { chunkStoreAcceptance } from './chunk-store-acceptance.js';
import { patternBytes, testKeys } from '../../../tools/samples/chunk-data.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'weft-chunks-'));

chunkStoreAcceptance('MemoryChunkStore', async (now) => ({ store: new MemoryChunkStore({ now }), cleanup: async () => {} }));

chunkStoreAcceptance('FileChunkStore', async (now) => {
  const dir = await tempDir();
  return { store: new FileChunkStore(dir, { now }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

chunkStoreAcceptance('FileChunkStore (durable)', async (now) => {
  const dir = await tempDir();
  return { store: new FileChunkStore(dir, { now, durable: true }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

chunkStoreAcceptance('PackChunkStore (durable, 64 KiB packs)', async (now) => {
  const dir = await tempDir();
  const store = await PackChunkStore.open(dir, { now, durable: true, maxPackBytes: 64 * 1024 });
  return { store, cleanup: async () => (await store.close(), rm(dir, { recursive: true, force: true })) };
});

describe('FileChunkStore on disk', () => {
  it('a chunk damaged on disk reads as missing and is removed; temp files are not listed', async () => {
    const dir = await tempDir();
    try {
      const store = new FileChunkStore(dir);
      const { chunks } = writeObject(testKeys(1), patternBytes(1, 20_000));
      const c = chunks[0]!;
      await store.put(c.ref.id, c.ciphertext);
      const file = join(dir, c.ref.id.slice(0, 2), c.ref.id);
      const bad = c.ciphertext.slice();
      bad[bad.length - 1]! ^= 1;
      await writeFile(file, bad);
      await writeFile(file + '.tmp-0123', bad);
      assert.equal(await store.get(c.ref.id), undefined);
      assert.equal(await store.has(c.ref.id), false);
      assert.deepEqual(await readdir(join(dir, c.ref.id.slice(0, 2))), [c.ref.id + '.tmp-0123']);
      assert.deepEqual(await store.stats(), { chunks: 0, bytes: 0 });
      assert.equal((await store.put(c.ref.id, c.ciphertext)).bytesStored, c.ciphertext.length);
      assert.deepEqual(await new FileChunkStore(dir).get(c.ref.id), c.ciphertext);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
