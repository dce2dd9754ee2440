import assert from 'node:assert/strict';
import {
  ChunkBoundaries,
  Chunker,
  DEFAULT_CHUNK_SIZES,
  ObjectWriter,
  readWholeObject,
  writeObject,
  decodeObjectRef,
  encodeObjectRef,
  type WrittenChunk,
} from '../../../protocol/src/chunks/index.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import { type ChunkStore } from '../../../protocol/src/ports/chunk-store.js';
import { patternBytes, testKeys } from '../../../tools/samples/chunk-data.js';

const keys = testKeys(1);
const { min, avg, max } = DEFAULT_CHUNK_SIZES;

async function storeAll(store: ChunkStore, chunks: readonly WrittenChunk[]): Promise<{ data: number; nodes: number }> {
  let data = 0;
  let nodes = 0;
  for (const c of chunks) {
    const { bytesStored } = await store.put(c.ref.id, c.ciphertext);
    if (c.height === 0) data += bytesStored;
    else nodes += bytesStored;
  }
  return { data, nodes };
}

async function roundTrip(bytes: Uint8Array, pieceSize = bytes.length || 1): Promise<void> {
  const store = new MemoryChunkStore();
  const w = new ObjectWriter(keys);
  for (let at = 0; at < bytes.length; at += pieceSize) await storeAll(store, w.write(bytes.subarray(at, at + pieceSize)));
  const { root, chunks } = w.finish();
  await storeAll(store, chunks);
  assert.equal(root.size, bytes.length);
  const back = await readWholeObject(root, (id) => store.get(id));
  assert.deepEqual(back, bytes);
  assert.deepEqual(decodeObjectRef(encodeObjectRef(root)), root);
}

describe('chunks: objects', function () {
  this.timeout(60_000);

  for (const size of [0, 1, 2, 100, min - 1, min, min + 1, avg, max - 1, max, max + 1, 3 * max + 7, 1 << 20]) {
    it(`round-trips ${size} bytes`, () => roundTrip(patternBytes(size, size)));
  }

  it('round-trips random sizes, pushed in random pieces', async () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let i = 0; i < 12; i++) {
      const size = rnd(600_000);
      await roundTrip(patternBytes(100 + i, size), 1 + rnd(100_000));
    }
  });

  it('chunk boundaries do not depend on how the input is split', () => {
    const bytes = patternBytes(3, 700_000);
    const cut = (piece: number) => {
      const c = new Chunker(new ChunkBoundaries(keys.gear));
      const sizes: number[] = [];
      for (let at = 0; at < bytes.length; at += piece) sizes.push(...c.push(bytes.subarray(at, at + piece)).map((x) => x.length));
      sizes.push(...c.finish().map((x) => x.length));
      return sizes;
    };
    const whole = cut(bytes.length);
    assert.deepEqual(cut(1000), whole);
    assert.deepEqual(cut(65_537), whole);
    for (const piece of [4095, min, max - 1, max, max + 1, 2 * max + 3, 1 << 20]) assert.deepEqual(cut(piece), whole, `pieces of ${piece}`);
    assert.equal(whole.reduce((a, b) => a + b, 0), bytes.length);
    for (const s of whole.slice(0, -1)) assert.ok(s >= min && s <= max, `chunk size ${s}`);
  });

  it('zero-filled files (every chunk equal) round-trip and store one data chunk', async () => {
    const bytes = new Uint8Array(2_000_000);
    const store = new MemoryChunkStore();
    const { root, chunks } = writeObject(keys, bytes);
    const stored = await storeAll(store, chunks);
    assert.equal(stored.data, max + 40 + (bytes.length % max ? (bytes.length % max) + 40 : 0));
    assert.deepEqual(await readWholeObject(root, (id) => store.get(id)), bytes);
  });

  it('stores the same file twice once', async () => {
    const bytes = patternBytes(9, 3_000_000);
    const store = new MemoryChunkStore();
    const first = writeObject(keys, bytes);
    const a = await storeAll(store, first.chunks);
    const second = writeObject(keys, bytes);
    const b = await storeAll(store, second.chunks);
    assert.deepEqual(second.root, first.root);
    assert.ok(a.data > bytes.length);
    assert.deepEqual(b, { data: 0, nodes: 0 });
  });

  it('another share (another convergence secret) shares no chunk with ours', async () => {
    const bytes = patternBytes(10, 500_000);
    const ours = writeObject(keys, bytes);
    const theirs = writeObject(testKeys(2), bytes);
    const ourIds = new Set(ours.chunks.map((c) => c.ref.id));
    assert.ok(theirs.chunks.every((c) => !ourIds.has(c.ref.id)));
    // Boundaries are keyed too: the sequence of chunk sizes differs.
    const sizes = (o: typeof ours) => o.chunks.filter((c) => c.height === 0).map((c) => c.ciphertext.length).join();
    assert.notEqual(sizes(theirs), sizes(ours));
  });

  it('a 1-byte change in a 50 MB file stores only a few new chunks', async function () {
    const size = 50 * 1024 * 1024;
    const bytes = patternBytes(11, size);
    const store = new MemoryChunkStore();
    const before = await storeAll(store, writeObject(keys, bytes).chunks);
    bytes[Math.floor(size / 2)]! ^= 0x5a;
    const after = await storeAll(store, writeObject(keys, bytes).chunks);
    // And an inserted byte (everything after it shifts).
    const inserted = new Uint8Array(size + 1);
    inserted.set(bytes.subarray(0, size / 4));
    inserted[size / 4] = 42;
    inserted.set(bytes.subarray(size / 4), size / 4 + 1);
    const ins = await storeAll(store, writeObject(keys, inserted).chunks);
    console.log(`      50 MB: ${before.data + before.nodes} B first; 1-byte change: ${after.data} B data + ${after.nodes} B nodes; 1-byte insert: ${ins.data} + ${ins.nodes} B`);
    assert.ok(after.data <= 64 * 1024 + 40, `data ${after.data}`);
    assert.ok(after.data + after.nodes <= 96 * 1024, `total ${after.data + after.nodes}`);
    assert.ok(ins.data <= 2 * (64 * 1024 + 40), `insert data ${ins.data}`);
  });
});
