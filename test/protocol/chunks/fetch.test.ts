import assert from 'node:assert/strict';
import {
  ChunkFetcher,
  CorruptObjectError,
  MissingChunkError,
  TamperedChunkError,
  readWholeObject,
  writeObject,
  type ChunkId,
  type FetchProgress,
} from '../../../protocol/src/chunks/index.js';
import { fetchObject, type ChunkSource } from '../../../protocol/runtime/chunk-fetch.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import { patternBytes, testKeys } from '../../../tools/samples/chunk-data.js';

const keys = testKeys(3);
const file = patternBytes(21, 1_500_000);
const written = writeObject(keys, file);
const all = new Map(written.chunks.map((c) => [c.ref.id, c.ciphertext]));

/** A source holding every chunk; `tamper` alters what it sends, `failAfter` stops serving. */
function source(opts: { tamper?: boolean; failAfter?: number; log?: ChunkId[] } = {}): ChunkSource {
  let served = 0;
  return {
    async fetch(id) {
      opts.log?.push(id);
      if (opts.failAfter !== undefined && served >= opts.failAfter) return undefined;
      served++;
      const b = all.get(id);
      if (!b || !opts.tamper) return b;
      const bad = b.slice();
      bad[bad.length >> 1]! ^= 0xff;
      return bad;
    },
  };
}

describe('chunks: reading damaged or incomplete objects', () => {
  it('a tampered chunk is rejected, a missing one named', async () => {
    const store = new MemoryChunkStore();
    const victim = written.chunks.find((c) => c.height === 0)!;
    const load = async (id: ChunkId) => {
      const b = all.get(id)!;
      if (id !== victim.ref.id) return b;
      const bad = b.slice();
      bad[40]! ^= 1;
      return bad;
    };
    await assert.rejects(readWholeObject(written.root, load), TamperedChunkError);
    await assert.rejects(readWholeObject(written.root, (id) => store.get(id)), MissingChunkError);
  });

  it('a reference with the wrong key or size is a CorruptObjectError', async () => {
    const load = async (id: ChunkId) => all.get(id);
    await assert.rejects(readWholeObject({ ...written.root, key: new Uint8Array(32) }, load), CorruptObjectError);
    await assert.rejects(readWholeObject({ ...written.root, size: written.root.size + 1 }, load), CorruptObjectError);
  });
});

describe('chunks: ChunkFetcher', function () {
  this.timeout(30_000);

  it('fetches everything, several at a time, with progress, and the object reads back', async () => {
    const store = new MemoryChunkStore();
    let inFlight = 0;
    let maxSeen = 0;
    const slow: ChunkSource = {
      async fetch(id) {
        inFlight++;
        maxSeen = Math.max(maxSeen, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return all.get(id);
      },
    };
    const progress: FetchProgress[] = [];
    const result = await fetchObject(written.root, store, new Map([['a', slow], ['b', slow]]), { maxInFlight: 6, maxPerSource: 4, onProgress: (p) => progress.push(p) });
    assert.equal(result.complete, true);
    assert.equal(result.chunksFetched, written.chunks.length);
    assert.equal(result.bytesDone, file.length);
    assert.ok(maxSeen > 1 && maxSeen <= 6, `max in flight ${maxSeen}`);
    assert.equal(progress.at(-1)!.bytesDone, file.length);
    assert.ok(progress.every((p, i) => i === 0 || p.bytesDone >= progress[i - 1]!.bytesDone));
    assert.deepEqual(await readWholeObject(written.root, (id) => store.get(id)), file);
  });

  it('rejects a lying source and fetches each of its chunks elsewhere', async () => {
    const store = new MemoryChunkStore();
    const result = await fetchObject(written.root, store, new Map([['liar', source({ tamper: true })], ['good', source()]]));
    assert.equal(result.complete, true);
    assert.ok(result.rejected > 0);
    assert.deepEqual(await readWholeObject(written.root, (id) => store.get(id)), file);
  });

  it('reports chunks that no source has as unavailable', async () => {
    const result = await fetchObject(written.root, new MemoryChunkStore(), new Map([['liar', source({ tamper: true })]]));
    assert.equal(result.complete, false);
    assert.deepEqual(result.unavailable, [written.root.id]);
  });

  it('an interrupted transfer resumes, asking only for what is missing', async () => {
    const store = new MemoryChunkStore();
    const first = await fetchObject(written.root, store, new Map([['flaky', source({ failAfter: 40 })]]));
    assert.equal(first.complete, false);
    assert.equal(first.chunksFetched, 40);
    const log: ChunkId[] = [];
    const second = await fetchObject(written.root, store, new Map([['good', source({ log })]]));
    assert.equal(second.complete, true);
    assert.equal(log.length, written.chunks.length - 40);
    assert.equal(second.bytesDone, file.length);
    assert.deepEqual(await readWholeObject(written.root, (id) => store.get(id)), file);
    // Everything stored: a third run asks for nothing.
    const none: ChunkId[] = [];
    assert.equal((await fetchObject(written.root, store, new Map([['good', source({ log: none })]]))).complete, true);
    assert.deepEqual(none, []);
  });

  it('an aborted transfer stops and resumes', async () => {
    const store = new MemoryChunkStore();
    const ctrl = new AbortController();
    const first = await fetchObject(written.root, store, new Map([['a', source()]]), {
      signal: ctrl.signal,
      onProgress: (p) => p.chunksFetched >= 10 && ctrl.abort(),
    });
    assert.equal(first.complete, false);
    const second = await fetchObject(written.root, store, new Map([['a', source()]]));
    assert.equal(second.complete, true);
    assert.ok(second.chunksFetched < written.chunks.length);
  });

  it('fetches a repeated chunk once and counts its bytes each time it appears', async () => {
    const zeros = writeObject(keys, new Uint8Array(1_000_000));
    const map = new Map(zeros.chunks.map((c) => [c.ref.id, c.ciphertext]));
    const f = new ChunkFetcher(zeros.root, { sources: ['s'] });
    for (let guard = 0; !f.done && guard < 1000; guard++) {
      for (const ref of f.lookups()) f.local(ref, 'missing');
      for (const r of f.requests()) assert.equal(f.received(r.source, r.id, map.get(r.id)!).accepted, true);
    }
    assert.equal(f.done, true);
    assert.equal(f.progress().bytesDone, 1_000_000);
    assert.equal(f.progress().chunksFetched, map.size);
  });
});
