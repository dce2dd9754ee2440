/**
 * The node's LogStore on disk: pure TypeScript on node:fs, so it runs in the VS Code
 * extension host with no native addon to rebuild per Electron version.
 *
 * On-disk format (version 1; details in segment-format.ts and snapshot-file.ts):
 *   <dir>/00000001.seg ...  append-only segments: a 32-byte header (magic "WEFT-SEG",
 *                           format version, segment number, index of its first record,
 *                           crc32), then one frame per record:
 *                           [u32 length][u32 crc32(payload)][u32 crc32(the 8 bytes before)][payload]
 *   <dir>/snapshot          optional snapshot, replaced atomically
 *   <dir>/LOCK              pid of the process holding the store
 *
 * Durability: an append resolves after its frames are written and fdatasync'd. Appends
 * arriving while a write is in flight queue up and are written and synced together
 * (group commit), in call order. A segment is closed once the next write would take
 * it past maxSegmentBytes; one append call is never split across segments, and the
 * next segment is created and synced (file and directory) before anything is written
 * to it, so only the last segment can ever have an unsynced tail.
 *
 * Recovery on open (segment-loader.ts): every frame of every segment is verified; a
 * torn or damaged tail of the last segment is truncated and reported in `recovered`;
 * any other damage raises CorruptStoreError and nothing is changed.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryLock } from './file-lock.js';
import {
  DEFAULT_MAX_RECORD_BYTES,
  StoreAlreadyOpenError,
  StoreClosedError,
  StoreFailedError,
  checkRecordSizes,
  checkSnapshotCoverage,
  type LoadedLog,
  type LogStore,
} from '../src/ports/log-store.js';
import { createDirectoryDurably, writeFully } from './durable-fs.js';
import { MAX_FRAME_PAYLOAD_BYTES, SEGMENT_HEADER_BYTES, encodeFrames, segmentFileName } from './segment-format.js';
import { createSegment, loadSegments } from './segment-loader.js';
import { readSnapshotFile, writeSnapshotFile } from './snapshot-file.js';

export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface FileLogStoreInit {
  /** Largest record accepted by append (default 16 MiB). */
  maxRecordBytes?: number;
  /** A segment is rotated before a write would take it past this size (default 64 MiB). */
  maxSegmentBytes?: number;
}

/** Counters for tests and benchmarks. */
export interface FileLogStoreStats {
  appendCalls: number;
  records: number;
  /** fdatasync calls made for appends; fewer than appendCalls means group commit happened. */
  syncs: number;
  segmentsCreated: number;
}

interface PendingAppend {
  frames: Buffer;
  count: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface OpenSegment {
  segmentNumber: number;
  fh: FileHandle;
  size: number;
}

export class FileLogStore implements LogStore {
  readonly stats: FileLogStoreStats = { appendCalls: 0, records: 0, syncs: 0, segmentsCreated: 0 };
  private readonly maxRecordBytes: number;
  private readonly maxSegmentBytes: number;
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private lock: DirectoryLock | undefined;
  private segment: OpenSegment | undefined;
  private durableCount = 0;
  private failure: StoreFailedError | undefined;
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private snapshots: Promise<void> = Promise.resolve();
  private opening: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    init: FileLogStoreInit = {},
  ) {
    this.maxRecordBytes = init.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.maxSegmentBytes = init.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    if (!(this.maxRecordBytes >= 0 && this.maxRecordBytes <= MAX_FRAME_PAYLOAD_BYTES)) {
      throw new RangeError(`maxRecordBytes must be 0..${MAX_FRAME_PAYLOAD_BYTES}`);
    }
  }

  open(): Promise<LoadedLog> {
    if (this.state === 'open' || this.state === 'opening') return Promise.reject(new StoreAlreadyOpenError());
    if (this.state === 'closed') return Promise.reject(new StoreClosedError('it was closed; create a new store to reopen'));
    this.state = 'opening';
    const opening = this.openOnce();
    this.opening = opening;
    return opening;
  }

  private async openOnce(): Promise<LoadedLog> {
    try {
      await createDirectoryDurably(this.dir);
      this.lock = await DirectoryLock.acquire(this.dir);
      const loaded = await loadSegments(this.dir);
      const snapshot = await readSnapshotFile(this.dir);
      const { segmentNumber, size } = loaded.last;
      const fh = await open(join(this.dir, segmentFileName(segmentNumber)), 'r+');
      this.segment = { segmentNumber, fh, size };
      this.durableCount = loaded.records.length;
      this.state = 'open';
      const result: LoadedLog = { records: loaded.records };
      if (loaded.recovered) result.recovered = loaded.recovered;
      if (typeof snapshot === 'string') result.snapshotDiscarded = snapshot;
      else if (snapshot && snapshot.coversRecords > loaded.records.length) {
        result.snapshotDiscarded = `snapshot covers ${snapshot.coversRecords} records, the log holds ${loaded.records.length}`;
      } else if (snapshot) result.snapshot = snapshot;
      return result;
    } catch (err) {
      this.state = 'closed';
      await this.lock?.release();
      throw err;
    }
  }

  append(records: readonly Uint8Array[]): Promise<void> {
    let frames: Buffer;
    try {
      this.assertUsable();
      checkRecordSizes(records, this.maxRecordBytes);
      frames = encodeFrames(records); // copies the caller's bytes now
    } catch (err) {
      return Promise.reject(err);
    }
    this.stats.appendCalls++;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frames, count: records.length, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  writeSnapshot(bytes: Uint8Array, coversRecords: number): Promise<void> {
    try {
      this.assertUsable();
      checkSnapshotCoverage(coversRecords);
    } catch (err) {
      return Promise.reject(err);
    }
    const copy = bytes.slice();
    const appendsBefore = this.append([]); // resolves once every earlier append is durable
    const run = this.snapshots.then(async () => {
      await appendsBefore;
      checkSnapshotCoverage(coversRecords, this.durableCount);
      await writeSnapshotFile(this.dir, { bytes: copy, coversRecords });
    });
    this.snapshots = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    if (this.state === 'opening') await this.opening?.catch(() => undefined);
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (!wasOpen) return;
    await this.flushing;
    await this.snapshots;
    await this.segment?.fh.close().catch(() => undefined);
    this.segment = undefined;
    await this.lock?.release();
  }

  private assertUsable(): void {
    if (this.state === 'new') throw new StoreClosedError('open() has not been called');
    if (this.state === 'opening') throw new StoreClosedError('open() has not finished');
    if (this.state === 'closed') throw new StoreClosedError('it was closed');
    if (this.failure) throw this.failure;
  }

  /** Writes queued appends batch by batch; everything queued during a write forms the next batch. */
  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        if (this.failure) throw this.failure;
        await this.writeBatch(batch);
      } catch (err) {
        this.failure ??= new StoreFailedError(err);
        for (const p of batch.concat(this.queue.splice(0))) p.reject(this.failure);
        continue;
      }
      for (const p of batch) p.resolve();
    }
    this.flushing = undefined;
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let chunkRecords = 0;
    for (const p of batch) {
      const seg = this.segment!;
      const hasRecords = seg.size + chunkBytes > SEGMENT_HEADER_BYTES;
      if (hasRecords && p.frames.length > 0 && seg.size + chunkBytes + p.frames.length > this.maxSegmentBytes) {
        await this.writeAndSync(chunk, chunkBytes, chunkRecords);
        [chunk, chunkBytes, chunkRecords] = [[], 0, 0];
        await this.rotate();
      }
      chunk.push(p.frames);
      chunkBytes += p.frames.length;
      chunkRecords += p.count;
    }
    await this.writeAndSync(chunk, chunkBytes, chunkRecords);
  }

  private async writeAndSync(chunk: Buffer[], bytes: number, records: number): Promise<void> {
    if (bytes === 0) return;
    const seg = this.segment!;
    await writeFully(seg.fh, chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, bytes), seg.size);
    await seg.fh.datasync();
    seg.size += bytes;
    this.durableCount += records;
    this.stats.syncs++;
    this.stats.records += records;
  }

  private async rotate(): Promise<void> {
    const old = this.segment!;
    const segmentNumber = old.segmentNumber + 1;
    await createSegment(this.dir, segmentNumber, this.durableCount);
    const fh = await open(join(this.dir, segmentFileName(segmentNumber)), 'r+');
    this.segment = { segmentNumber, fh, size: SEGMENT_HEADER_BYTES };
    this.stats.segmentsCreated++;
    await old.fh.close();
  }
}
