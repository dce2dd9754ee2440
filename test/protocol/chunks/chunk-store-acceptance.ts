/**
 * The acceptance suite every ChunkStore implementation runs against itself. `make(now)`
 * returns an empty store whose storedAt comes from `now`.
 */
import assert from 'node:assert/strict';
import { TamperedChunkError, writeObject, type ChunkId } from '../../../protocol/src/chunks/index.js';
import { collectGarbage } from '../../../protocol/runtime/chunk-gc.js';
import type { ChunkStore } from '../../../protocol/src/ports/chunk-store.js';
import { patternBytes, testKeys } from '../../../tools/samples/chunk-data.js';

export interface ChunkStoreHarness {
  store: ChunkStore;
  cleanup: () => Promise<void>;
}

const keys = testKeys(5);

async function putAll(store: ChunkStore, chunks: readonly { ref: { id: ChunkId }; ciphertext: Uint8Array }[]): Promise<number> {
  let n = 0;
  for (const c of chunks) n += (await store.put(c.ref.id, c.ciphertext)).bytesStored;
  return n;
}

export function chunkStoreAcceptance(name: string, make: (now: () => number) => Promise<ChunkStoreHarness>): void {
  describe(`ChunkStore acceptance: ${name}`, function () {
    this.timeout(30_000);
    let h: ChunkStoreHarness;
    let clock = 1_700_000_000_000;
    beforeEach(async () => {
      clock = 1_700_000_000_000;
      h = await make(() => clock);
    });
    afterEach(() => h.cleanup());

    it('stores, reads, lists, counts and deletes', async () => {
      const { chunks } = writeObject(keys, patternBytes(1, 100_000));
      const total = chunks.reduce((a, c) => a + c.ciphertext.length, 0);
      assert.equal(await putAll(h.store, chunks), total);
      for (const c of chunks) {
        assert.equal(await h.store.has(c.ref.id), true);
        assert.deepEqual(await h.store.get(c.ref.id), c.ciphertext);
      }
      assert.deepEqual(await h.store.stats(), { chunks: chunks.length, bytes: total });
      const listed: ChunkId[] = [];
      for await (const c of h.store.list()) {
        listed.push(c.id);
        assert.equal(c.storedAt, clock);
      }
      assert.deepEqual(listed.sort(), chunks.map((c) => c.ref.id).sort());
      assert.equal(await h.store.delete(chunks[0]!.ref.id), true);
      assert.equal(await h.store.delete(chunks[0]!.ref.id), false);
      assert.equal(await h.store.has(chunks[0]!.ref.id), false);
      assert.equal(await h.store.get(chunks[0]!.ref.id), undefined);
    });

    it('stores an id once (dedup) and reports 0 new bytes', async () => {
      const { chunks } = writeObject(keys, patternBytes(2, 50_000));
      assert.ok((await putAll(h.store, chunks)) > 50_000);
      assert.equal(await putAll(h.store, chunks), 0);
      assert.equal((await h.store.stats()).chunks, chunks.length);
    });

    it('refuses bytes that do not match the id', async () => {
      const { chunks } = writeObject(keys, patternBytes(3, 1000));
      const bad = chunks[0]!.ciphertext.slice();
      bad[30]! ^= 1;
      await assert.rejects(h.store.put(chunks[0]!.ref.id, bad), TamperedChunkError);
      assert.equal(await h.store.has(chunks[0]!.ref.id), false);
    });

    it('collectGarbage keeps what live roots reach and deletes the rest', async () => {
      const live = writeObject(keys, patternBytes(4, 400_000));
      const dead = writeObject(keys, patternBytes(5, 300_000));
      await putAll(h.store, live.chunks);
      await putAll(h.store, dead.chunks);
      const report = await collectGarbage(h.store, { liveRoots: [live.root] });
      assert.equal(report.deleted, dead.chunks.length);
      assert.equal(report.live, live.chunks.length);
      for (const c of live.chunks) assert.equal(await h.store.has(c.ref.id), true);
      for (const c of dead.chunks) assert.equal(await h.store.has(c.ref.id), false);
    });

    it('expiry: unreferenced chunks younger than the grace period stay', async () => {
      const old = writeObject(keys, patternBytes(6, 30_000));
      await putAll(h.store, old.chunks);
      clock += 10_000;
      const young = writeObject(keys, patternBytes(7, 30_000));
      await putAll(h.store, young.chunks);
      const r1 = await collectGarbage(h.store, { liveRoots: [], now: clock + 1000, graceMs: 5000 });
      assert.equal(r1.deleted, old.chunks.length);
      assert.equal(r1.keptYoung, young.chunks.length);
      for (const c of young.chunks) assert.equal(await h.store.has(c.ref.id), true);
      // Putting a chunk again refreshes its time.
      clock += 10_000;
      await putAll(h.store, young.chunks.slice(0, 1));
      const r2 = await collectGarbage(h.store, { now: clock + 1000, graceMs: 5000 });
      assert.equal(r2.deleted, young.chunks.length - 1);
      assert.equal((await h.store.stats()).chunks, 1);
    });

    it('delete(id, ifStoredBefore) keeps a chunk put after that time (a sweep racing a re-put)', async () => {
      const o = writeObject(keys, patternBytes(8, 20_000));
      const [a, b] = o.chunks;
      await putAll(h.store, [a!, b!]);
      const cutoff = clock + 500;
      clock += 1000;
      await h.store.put(b!.ref.id, b!.ciphertext); // re-put after the sweep listed it
      assert.equal(await h.store.delete(a!.ref.id, cutoff), true);
      assert.equal(await h.store.delete(b!.ref.id, cutoff), false);
      assert.equal(await h.store.has(a!.ref.id), false);
      assert.equal(await h.store.has(b!.ref.id), true);
      assert.equal(await h.store.delete(b!.ref.id), true, 'without a time: unconditional');
    });
  });
}
