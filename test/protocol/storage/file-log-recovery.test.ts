/**
 * FileLogStore on damaged directories: torn and corrupt tails are cut and reported,
 * damage anywhere else raises CorruptStoreError and leaves every byte in place.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileLogStore } from '../../../protocol/storage/file-log-store.js';
import { CorruptStoreError } from '../../../protocol/src/ports/log-store.js';
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from '../../../protocol/storage/segment-format.js';
import { assertSameRecords, openAndClose, patternRecord, seededRandom, tempStoreDir } from './test-records.js';

const SEG1 = segmentFileName(1);

async function writeLog(dir: string, records: Uint8Array[], init = {}): Promise<void> {
  const store = new FileLogStore(dir, init);
  await store.open();
  for (let i = 0; i < records.length; i += 7) await store.append(records.slice(i, i + 7));
  await store.close();
}

/** Offsets where each frame ends in a single-segment log. */
function frameEnds(records: Uint8Array[]): number[] {
  let pos = SEGMENT_HEADER_BYTES;
  return records.map((r) => (pos += FRAME_HEADER_BYTES + r.length));
}

async function flipBit(path: string, offset: number, bit = 0): Promise<void> {
  const buf = await readFile(path);
  buf[offset]! ^= 1 << bit;
  await writeFile(path, buf);
}

async function assertCorruptAndUntouched(dir: string, segment: string, offset: number): Promise<void> {
  const before = await snapshotDir(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    // Twice: a failed open must release the lock and change nothing.
    await assert.rejects(openAndClose(dir), (err: unknown) => {
      assert.ok(err instanceof CorruptStoreError, String(err));
      assert.equal(err.segment, segment);
      assert.equal(err.offset, offset);
      return true;
    });
  }
  assert.deepEqual(await snapshotDir(dir), before);
}

async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString('hex');
  return out;
}

describe('FileLogStore recovery', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => (dir = await tempStoreDir()));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('cuts a last frame torn at every byte offset, reports it, and keeps the earlier records', async () => {
    const records = [3, 0, 17, 40, 25].map((n, i) => patternRecord(10, i, n));
    await writeLog(dir, records);
    const path = join(dir, SEG1);
    const full = await readFile(path);
    const lastStart = full.length - FRAME_HEADER_BYTES - 25;
    for (let cut = lastStart; cut < full.length; cut++) {
      await writeFile(path, full.subarray(0, cut));
      const loaded = await openAndClose(dir);
      assertSameRecords(loaded.records, records.slice(0, 4), `cut at ${cut}`);
      if (cut === lastStart) assert.equal(loaded.recovered, undefined);
      else {
        assert.equal(loaded.recovered?.truncatedBytes, cut - lastStart, `cut at ${cut}`);
        assert.equal(loaded.recovered?.offset, lastStart);
        assert.equal(loaded.recovered?.segment, SEG1);
      }
      assert.equal((await stat(path)).size, lastStart);
      assert.equal((await openAndClose(dir)).recovered, undefined, 'a second open finds nothing to cut');
    }
  });

  it('cuts torn tails at random offsets of a larger log to exactly the whole records before the cut', async () => {
    const next = seededRandom(11);
    const records = Array.from({ length: 400 }, (_, i) => patternRecord(11, i, next() % 3000));
    await writeLog(dir, records);
    const ends = frameEnds(records);
    const path = join(dir, SEG1);
    const full = await readFile(path);
    assert.equal(full.length, ends[ends.length - 1]);
    for (let trial = 0; trial < 30; trial++) {
      const cut = SEGMENT_HEADER_BYTES + (next() % (full.length - SEGMENT_HEADER_BYTES));
      await writeFile(path, full.subarray(0, cut));
      const loaded = await openAndClose(dir);
      const whole = ends.filter((e) => e <= cut).length;
      assertSameRecords(loaded.records, records.slice(0, whole), `cut at ${cut}`);
      const boundary = whole === 0 ? SEGMENT_HEADER_BYTES : ends[whole - 1]!;
      assert.equal(loaded.recovered?.truncatedBytes ?? 0, cut - boundary);
    }
    // After recovery the store appends normally.
    const store = new FileLogStore(dir);
    const { records: kept } = await store.open();
    await store.append([patternRecord(11, 999, 10)]);
    await store.close();
    assertSameRecords((await openAndClose(dir)).records, [...kept, patternRecord(11, 999, 10)]);
  });

  it('cuts a last frame with a flipped bit in its length, checksums or payload', async () => {
    const records = [5, 9, 30].map((n, i) => patternRecord(12, i, n));
    await writeLog(dir, records);
    const path = join(dir, SEG1);
    const full = await readFile(path);
    const lastStart = full.length - FRAME_HEADER_BYTES - 30;
    for (const at of [0, 3, 4, 7, 8, 11, 12, 20, 41]) {
      await writeFile(path, full);
      await flipBit(path, lastStart + at, at % 8);
      const loaded = await openAndClose(dir);
      assertSameRecords(loaded.records, records.slice(0, 2), `flip at +${at}`);
      assert.equal(loaded.recovered?.offset, lastStart);
      assert.equal(loaded.recovered?.truncatedBytes, FRAME_HEADER_BYTES + 30);
    }
  });

  it('cuts a zero-filled tail (a crash after the file grew, before the data landed)', async () => {
    const records = [5, 9].map((n, i) => patternRecord(13, i, n));
    await writeLog(dir, records);
    const path = join(dir, SEG1);
    const full = await readFile(path);
    await writeFile(path, Buffer.concat([full, Buffer.alloc(4096)]));
    const loaded = await openAndClose(dir);
    assertSameRecords(loaded.records, records);
    assert.equal(loaded.recovered?.truncatedBytes, 4096);
  });

  it('raises CorruptStoreError for a flipped bit in an earlier frame of the last segment, changing nothing', async () => {
    const records = [5, 9, 30, 12].map((n, i) => patternRecord(14, i, n));
    const ends = frameEnds(records);
    for (const at of [0, 2, 5, 9, 12, 18]) {
      await rm(dir, { recursive: true, force: true });
      await writeLog(dir, records);
      await flipBit(join(dir, SEG1), ends[0]! + at, at % 8);
      await assertCorruptAndUntouched(dir, SEG1, ends[0]!);
    }
  });

  it('raises CorruptStoreError for damage in a segment before the last', async () => {
    const init = { maxSegmentBytes: 256 };
    const records = Array.from({ length: 20 }, (_, i) => patternRecord(15, i, 50));
    await writeLog(dir, records, init);
    const seg1 = join(dir, SEG1);
    const full1 = await readFile(seg1);
    // Even the last frame of a segment that is not the last one is not a tail.
    await flipBit(seg1, full1.length - 1);
    await assertCorruptAndUntouched(dir, SEG1, full1.length - FRAME_HEADER_BYTES - 50);
    await writeFile(seg1, full1.subarray(0, full1.length - 3));
    await assertCorruptAndUntouched(dir, SEG1, full1.length - FRAME_HEADER_BYTES - 50);
    await writeFile(seg1, full1);
    assertSameRecords((await openAndClose(dir, init)).records, records);
  });

  it('raises CorruptStoreError for a missing segment or a damaged segment header', async () => {
    const init = { maxSegmentBytes: 256 };
    await writeLog(dir, Array.from({ length: 20 }, (_, i) => patternRecord(16, i, 50)), init);
    const seg2 = join(dir, segmentFileName(2));
    const full2 = await readFile(seg2);
    await flipBit(seg2, 17);
    await assertCorruptAndUntouched(dir, segmentFileName(2), 0);
    await unlink(seg2);
    await assertCorruptAndUntouched(dir, segmentFileName(2), 0);
    await writeFile(seg2, full2);
    assert.equal((await openAndClose(dir)).records.length, 20);
  });

  it('rotates segments at the size limit and loads them in order', async () => {
    const init = { maxSegmentBytes: 4096 };
    const next = seededRandom(17);
    const records = Array.from({ length: 300 }, (_, i) => patternRecord(17, i, next() % 500));
    records.push(patternRecord(17, 300, 10_000)); // larger than a segment: gets one of its own
    records.push(patternRecord(17, 301, 3));
    const store = new FileLogStore(dir, init);
    await store.open();
    for (let i = 0; i < records.length; ) {
      const n = 1 + (next() % 6);
      await store.append(records.slice(i, i + n));
      i += n;
    }
    await store.close();
    const names = (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
    assert.ok(names.length > 10, `${names.length} segments`);
    assert.equal(store.stats.segmentsCreated, names.length - 1);
    const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
    assert.equal(sizes.filter((s) => s > 4096).length, 1, 'only the oversized record exceeds the limit');
    assertSameRecords((await openAndClose(dir, init)).records, records);
  });

  it('recovers a newest segment whose header was cut short by a crash', async () => {
    const init = { maxSegmentBytes: 256 };
    const records = Array.from({ length: 10 }, (_, i) => patternRecord(18, i, 50));
    await writeLog(dir, records, init);
    const count = (await readdir(dir)).filter((n) => n.endsWith('.seg')).length;
    const name = segmentFileName(count + 1);
    for (const size of [0, 1, 20, SEGMENT_HEADER_BYTES - 1]) {
      await writeFile(join(dir, name), Buffer.alloc(size, 0x57));
      const store = new FileLogStore(dir, init);
      const loaded = await store.open();
      assertSameRecords(loaded.records, records);
      assert.equal(loaded.recovered?.segment, name);
      assert.equal(loaded.recovered?.truncatedBytes, size);
      await store.close();
      await unlink(join(dir, name));
    }
    await writeFile(join(dir, name), Buffer.alloc(5));
    const store = new FileLogStore(dir, init);
    await store.open();
    await store.append([patternRecord(18, 10, 7)]);
    await store.close();
    assertSameRecords((await openAndClose(dir)).records, [...records, patternRecord(18, 10, 7)]);
  });
});
