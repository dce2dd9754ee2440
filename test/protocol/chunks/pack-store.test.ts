/** PackChunkStore on disk: reopen, torn tail, damage, compaction (the acceptance suite is in chunk-stores.test.ts). */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeObject, type WrittenChunk } from '../../../protocol/src/chunks/index.js';
import { collectGarbage } from '../../../protocol/runtime/chunk-gc.js';
import { PackChunkStore } from '../../../protocol/storage/chunk-store-pack.js';
import { patternBytes, testKeys } from '../../../tools/samples/chunk-data.js';

const keys = testKeys(3);

async function putAll(store: PackChunkStore, chunks: readonly WrittenChunk[]): Promise<void> {
  await Promise.all(chunks.map((c) => store.putSealed(c.ref.id, c.ciphertext)));
}

async function packFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.pack')).sort();
}

describe('PackChunkStore', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'weft-pack-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refresh(id, ifStoredBefore) renews an old chunk without its bytes, leaves a young one, survives a reopen', async () => {
    let clock = 1000;
    const a = writeObject(keys, patternBytes(4, 60_000));
    const [old, young] = a.chunks;
    const s1 = await PackChunkStore.open(dir, { now: () => clock });
    await putAll(s1, [old!]);
    clock = 5000;
    await putAll(s1, [young!]);
    clock = 9000;
    assert.equal(await s1.refresh(old!.ref.id, 4000), true);
    assert.equal(await s1.refresh(young!.ref.id, 4000), true, 'held, not old enough to renew');
    assert.equal(await s1.refresh(a.chunks[2]!.ref.id), false, 'not stored');
    await s1.close();
    const s2 = await PackChunkStore.open(dir);
    const times = new Map<string, number>();
    for await (const c of s2.list()) times.set(c.id, c.storedAt);
    assert.deepEqual([times.get(old!.ref.id), times.get(young!.ref.id)], [9000, 5000]);
    await s2.close();
  });

  it('reopens with every chunk, storedAt and deletion intact, across several packs', async () => {
    let clock = 1000;
    const a = writeObject(keys, patternBytes(1, 300_000));
    const s1 = await PackChunkStore.open(dir, { now: () => clock, maxPackBytes: 100_000 });
    await putAll(s1, a.chunks);
    clock = 2000;
    await s1.put(a.chunks[1]!.ref.id, a.chunks[1]!.ciphertext); // touch
    await s1.delete(a.chunks[0]!.ref.id);
    await assert.rejects(PackChunkStore.open(dir), /lock|held|open/i);
    await s1.close();
    assert.ok((await packFiles(dir)).length >= 3, 'rotated across packs');

    const s2 = await PackChunkStore.open(dir);
    assert.deepEqual(s2.recovered, []);
    assert.equal(await s2.has(a.chunks[0]!.ref.id), false);
    for (const c of a.chunks.slice(1)) assert.deepEqual(await s2.get(c.ref.id), c.ciphertext);
    const times = new Map<string, number>();
    for await (const c of s2.list()) times.set(c.id, c.storedAt);
    assert.equal(times.get(a.chunks[1]!.ref.id), 2000);
    assert.equal(times.get(a.chunks[2]!.ref.id), 1000);
    // a re-put after a delete is not killed by the old tombstone
    await s2.put(a.chunks[0]!.ref.id, a.chunks[0]!.ciphertext);
    await s2.close();
    const s3 = await PackChunkStore.open(dir);
    assert.deepEqual(await s3.get(a.chunks[0]!.ref.id), a.chunks[0]!.ciphertext);
    assert.equal((await s3.stats()).chunks, a.chunks.length);
    await s3.close();
  });

  it('cuts a torn tail of the last pack on open and keeps appending after it', async () => {
    const a = writeObject(keys, patternBytes(2, 120_000));
    const s1 = await PackChunkStore.open(dir, { durable: true });
    await putAll(s1, a.chunks);
    await s1.close();
    const [last] = (await packFiles(dir)).slice(-1);
    const path = join(dir, last!);
    const full = (await stat(path)).size;
    const lastChunk = a.chunks.at(-1)!;
    // the last record loses its final 10 bytes, and garbage follows a crash mid-write
    await truncate(path, full - 10);
    await appendFile(path, Buffer.from([1, 2, 3]));
    const s2 = await PackChunkStore.open(dir, { durable: true });
    assert.equal(s2.recovered.length, 1, s2.recovered.join('; '));
    assert.match(s2.recovered[0]!, /torn tail/);
    assert.equal(await s2.has(lastChunk.ref.id), false);
    for (const c of a.chunks.slice(0, -1)) assert.deepEqual(await s2.get(c.ref.id), c.ciphertext);
    assert.equal((await s2.put(lastChunk.ref.id, lastChunk.ciphertext)).bytesStored, lastChunk.ciphertext.length);
    await s2.close();
    const s3 = await PackChunkStore.open(dir);
    assert.deepEqual(s3.recovered, []);
    assert.deepEqual(await s3.get(lastChunk.ref.id), lastChunk.ciphertext);
    await s3.close();
  });

  it('a chunk damaged on disk reads as missing (verified against its id) and stays forgotten', async () => {
    const a = writeObject(keys, patternBytes(4, 40_000));
    const s1 = await PackChunkStore.open(dir);
    await putAll(s1, a.chunks);
    const c = a.chunks[0]!;
    // flip a byte inside the chunk: get() verifies against the id
    const [pack] = await packFiles(dir);
    const fh = await open(join(dir, pack!), 'r+');
    const buf = Buffer.alloc((await fh.stat()).size);
    await fh.read(buf, 0, buf.length, 0);
    const at = buf.indexOf(Buffer.from(c.ciphertext.subarray(100, 140)));
    assert.ok(at > 0);
    await fh.write(Buffer.from([buf[at]! ^ 1]), 0, 1, at);
    await fh.close();
    assert.equal(await s1.get(c.ref.id), undefined);
    assert.equal(await s1.has(c.ref.id), false);
    await s1.close();
    const s2 = await PackChunkStore.open(dir);
    // the crc no longer matches the damaged record: it and what follows in that last pack are cut
    assert.equal(await s2.has(c.ref.id), false);
    await s2.close();
  });

  it('GC deletes, then compaction rewrites mostly-dead packs and frees their space; reopen agrees', async () => {
    const live = writeObject(keys, patternBytes(5, 200_000));
    const dead = writeObject(keys, patternBytes(6, 600_000));
    const s1 = await PackChunkStore.open(dir, { maxPackBytes: 128 * 1024 });
    // interleave so that packs hold both
    for (let i = 0; i < Math.max(live.chunks.length, dead.chunks.length); i++) {
      for (const c of [live.chunks[i], dead.chunks[i]]) if (c) await s1.putSealed(c.ref.id, c.ciphertext);
    }
    const before = s1.packStats();
    const report = await collectGarbage(s1, { liveRoots: [live.root] });
    assert.equal(report.deleted, dead.chunks.length);
    assert.ok(report.compaction && report.compaction.packsRewritten > 0, JSON.stringify(report));
    const after = s1.packStats();
    assert.ok(after.fileBytes < before.fileBytes * 0.6, `${after.fileBytes} vs ${before.fileBytes}`);
    for (const c of live.chunks) assert.deepEqual(await s1.get(c.ref.id), c.ciphertext);
    await s1.close();
    const onDisk = (await Promise.all((await packFiles(dir)).map(async (n) => (await stat(join(dir, n))).size))).reduce((a, b) => a + b, 0);
    assert.equal(onDisk, after.fileBytes);
    const s2 = await PackChunkStore.open(dir);
    assert.deepEqual(s2.recovered, []);
    assert.equal((await s2.stats()).chunks, live.chunks.length);
    for (const c of live.chunks) assert.deepEqual(await s2.get(c.ref.id), c.ciphertext);
    for (const c of dead.chunks) assert.equal(await s2.has(c.ref.id), false);
    await s2.close();
  });
});
