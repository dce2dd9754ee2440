/**
 * The acceptance suite every ObjectFiles implementation runs against itself
 * (protocol/src/ports/object-files.ts). `make()` gives the files, a path where nothing
 * is yet, a way to put bytes at a path as someone else would, and `leftovers()`: what
 * of unfinished writes remains (temporary files, open sinks); none is allowed once a
 * write was committed or discarded.
 */
import assert from 'node:assert/strict';
import { ObjectSinkClosedError, type ObjectFiles, type ObjectSource } from '../../../protocol/src/ports/object-files.js';

export interface ObjectFilesHarness {
  readonly files: ObjectFiles;
  /** A path in a folder of its own where nothing is yet; `n` gives other names beside it. */
  path(n?: number): string;
  /** Someone else writes the file. */
  put(path: string, bytes: Uint8Array): Promise<void>;
  leftovers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** At most this much of a file in one piece: memory stays bounded. */
const MAX_PIECE = 1 << 20;

/** Bytes that differ at every position and between seeds. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return out;
}

async function readAll(source: ObjectSource): Promise<{ bytes: Uint8Array; pieces: number; largest: number }> {
  const parts: Uint8Array[] = [];
  let largest = 0;
  for await (const p of source) {
    parts.push(p.slice());
    largest = Math.max(largest, p.length);
  }
  return { bytes: new Uint8Array(Buffer.concat(parts)), pieces: parts.length, largest };
}

export function objectFilesAcceptance(name: string, make: () => Promise<ObjectFilesHarness>): void {
  describe(`ObjectFiles acceptance: ${name}`, function () {
    this.timeout(30_000);
    let h: ObjectFilesHarness;
    const contents = async (path: string) => (await readAll(h.files.read(path))).bytes;

    beforeEach(async () => {
      h = await make();
    });
    afterEach(() => h.cleanup());

    it('reads a large file back in order, in pieces of bounded size', async () => {
      const bytes = patternBytes(3 * MAX_PIECE + 12_345, 1);
      await h.put(h.path(), bytes);
      const r = await readAll(h.files.read(h.path()));
      assert.deepEqual(r.bytes, bytes);
      assert.ok(r.pieces >= 4 && r.largest <= MAX_PIECE, `${r.pieces} pieces, the largest ${r.largest} bytes`);
    });

    it('reads an empty file as no bytes, and refuses a missing one', async () => {
      await h.put(h.path(), new Uint8Array(0));
      assert.equal((await contents(h.path())).length, 0);
      await assert.rejects(contents(h.path(1)));
    });

    it('a reader that started keeps reading the bytes it started with when the file is replaced', async () => {
      const old = patternBytes(2 * MAX_PIECE + 10, 2);
      await h.put(h.path(), old);
      const reading = h.files.read(h.path())[Symbol.asyncIterator]();
      const first = await reading.next();
      assert.equal(first.done, false);
      const parts = [first.value.slice()];
      const sink = await h.files.create(h.path());
      await sink.write(patternBytes(100, 3));
      assert.equal(await sink.commit(), true);
      for (let r = await reading.next(); !r.done; r = await reading.next()) parts.push(r.value.slice());
      assert.deepEqual(new Uint8Array(Buffer.concat(parts)), old);
    });

    it('writes a new file in pieces; nothing shows at the path before the commit', async () => {
      const bytes = patternBytes(2 * MAX_PIECE + 777, 4);
      const sink = await h.files.create(h.path());
      for (let at = 0; at < bytes.length; at += 100_000) await sink.write(bytes.subarray(at, at + 100_000));
      await assert.rejects(contents(h.path()), 'not there before the commit');
      assert.equal(await sink.commit(), true);
      assert.deepEqual(await contents(h.path()), bytes);
      assert.deepEqual(await h.leftovers(), []);
    });

    it('replaces an existing file whole on commit, and keeps it as it was until then', async () => {
      const old = patternBytes(5000, 5);
      await h.put(h.path(), old);
      const sink = await h.files.create(h.path());
      await sink.write(patternBytes(3000, 6));
      assert.deepEqual(await contents(h.path()), old, 'unchanged while writing');
      assert.equal(await sink.commit(), true);
      assert.deepEqual(await contents(h.path()), patternBytes(3000, 6));
      assert.deepEqual(await h.leftovers(), []);
    });

    it('writes an empty file', async () => {
      const sink = await h.files.create(h.path());
      assert.equal(await sink.commit(), true);
      assert.equal((await contents(h.path())).length, 0);
    });

    it('a vetoed commit leaves the path untouched and nothing behind', async () => {
      const old = patternBytes(100, 7);
      await h.put(h.path(), old);
      const sink = await h.files.create(h.path());
      await sink.write(patternBytes(200, 8));
      let asked = 0;
      assert.equal(
        await sink.commit(async () => {
          asked++;
          return false;
        }),
        false,
      );
      assert.equal(asked, 1);
      assert.deepEqual(await contents(h.path()), old);
      assert.deepEqual(await h.leftovers(), []);
      const fresh = await h.files.create(h.path(1));
      await fresh.write(patternBytes(10, 9));
      assert.equal(await fresh.commit(async () => false), false);
      await assert.rejects(contents(h.path(1)), 'a vetoed new file does not appear');
    });

    it('asks replace after every byte was written, right before the file changes', async () => {
      const old = patternBytes(100, 10);
      await h.put(h.path(), old);
      const sink = await h.files.create(h.path());
      await sink.write(patternBytes(300, 11));
      assert.equal(
        await sink.commit(async () => {
          assert.deepEqual(await contents(h.path()), old, 'still the old bytes when asked');
          return true;
        }),
        true,
      );
      assert.deepEqual(await contents(h.path()), patternBytes(300, 11));
    });

    it('a replace that throws fails the commit and leaves the path untouched', async () => {
      await h.put(h.path(), patternBytes(10, 12));
      const sink = await h.files.create(h.path());
      await sink.write(patternBytes(20, 13));
      await assert.rejects(
        sink.commit(async () => {
          throw new Error('checked and refused');
        }),
        /checked and refused/,
      );
      assert.deepEqual(await contents(h.path()), patternBytes(10, 12));
      assert.deepEqual(await h.leftovers(), []);
    });

    it('discard drops what was written; a closed sink refuses writes and commits; discard after commit does nothing', async () => {
      const sink = await h.files.create(h.path());
      await sink.write(patternBytes(50, 14));
      await sink.discard();
      await sink.discard();
      await assert.rejects(contents(h.path()));
      await assert.rejects(sink.write(new Uint8Array(1)), ObjectSinkClosedError);
      await assert.rejects(sink.commit(), ObjectSinkClosedError);
      const done = await h.files.create(h.path());
      await done.write(patternBytes(60, 15));
      await done.commit();
      await done.discard();
      assert.deepEqual(await contents(h.path()), patternBytes(60, 15), 'kept');
      await assert.rejects(done.write(new Uint8Array(1)), ObjectSinkClosedError);
      assert.deepEqual(await h.leftovers(), []);
    });

    it('takes the bytes as they were when written (the caller may reuse its buffer)', async () => {
      const sink = await h.files.create(h.path());
      const buf = patternBytes(64, 16);
      await sink.write(buf);
      buf.fill(0);
      await sink.write(buf);
      await sink.commit();
      assert.deepEqual(await contents(h.path()), new Uint8Array([...patternBytes(64, 16), ...new Uint8Array(64)]));
    });

    it('two writes of one path at once: each commit puts one whole version there, the last one stays', async () => {
      const a = await h.files.create(h.path());
      const b = await h.files.create(h.path());
      await a.write(patternBytes(1000, 17));
      await b.write(patternBytes(2000, 18));
      await a.write(patternBytes(1000, 19));
      assert.equal(await b.commit(), true);
      assert.deepEqual(await contents(h.path()), patternBytes(2000, 18));
      assert.equal(await a.commit(), true);
      assert.deepEqual(await contents(h.path()), new Uint8Array([...patternBytes(1000, 17), ...patternBytes(1000, 19)]));
      assert.deepEqual(await h.leftovers(), []);
    });
  });
}
