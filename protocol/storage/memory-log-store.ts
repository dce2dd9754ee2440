/**
 * In-memory LogStore for unit tests and the simulator. A MemoryLogMedium plays the
 * disk: several store objects opened one after another over the same medium see the
 * same records, and only one may hold it at a time (as the file store's lock).
 * Records are copied in and out, so callers can never alias stored bytes.
 */
import {
  DEFAULT_MAX_RECORD_BYTES,
  StoreAlreadyOpenError,
  StoreClosedError,
  StoreLockedError,
  checkRecordSizes,
  checkSnapshotCoverage,
  type LoadedLog,
  type LogStore,
} from '../src/ports/log-store.js';

export class MemoryLogMedium {
  readonly records: Uint8Array[] = [];
  snapshot: { bytes: Uint8Array; coversRecords: number } | undefined;
  holder: MemoryLogStore | undefined;

  constructor(readonly name = 'memory') {}

  /** Simulates the holding process dying: the lock is freed and the old store stops working. */
  crash(): void {
    this.holder = undefined;
  }
}

export interface MemoryLogStoreInit {
  maxRecordBytes?: number;
}

export class MemoryLogStore implements LogStore {
  private state: 'new' | 'open' | 'closed' = 'new';
  private readonly maxRecordBytes: number;
  /** Resolves once every operation issued so far has finished (keeps call order). */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly medium: MemoryLogMedium = new MemoryLogMedium(),
    init: MemoryLogStoreInit = {},
  ) {
    this.maxRecordBytes = init.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  async open(): Promise<LoadedLog> {
    if (this.state === 'open') throw new StoreAlreadyOpenError();
    if (this.state === 'closed') throw new StoreClosedError('it was closed; create a new store to reopen');
    if (this.medium.holder !== undefined) throw new StoreLockedError(this.medium.name, process.pid);
    this.medium.holder = this;
    this.state = 'open';
    const snap = this.medium.snapshot;
    return {
      records: this.medium.records.map((r) => r.slice()),
      ...(snap ? { snapshot: { bytes: snap.bytes.slice(), coversRecords: snap.coversRecords } } : {}),
    };
  }

  append(records: readonly Uint8Array[]): Promise<void> {
    try {
      this.assertOpen();
      checkRecordSizes(records, this.maxRecordBytes);
    } catch (err) {
      return Promise.reject(err);
    }
    const copies = records.map((r) => r.slice());
    return this.enqueue(() => {
      this.assertHolder();
      this.medium.records.push(...copies);
    });
  }

  writeSnapshot(bytes: Uint8Array, coversRecords: number): Promise<void> {
    try {
      this.assertOpen();
      checkSnapshotCoverage(coversRecords);
    } catch (err) {
      return Promise.reject(err);
    }
    const copy = bytes.slice();
    return this.enqueue(() => {
      this.assertHolder();
      checkSnapshotCoverage(coversRecords, this.medium.records.length);
      this.medium.snapshot = { bytes: copy, coversRecords };
    });
  }

  async close(): Promise<void> {
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    await this.tail;
    if (this.medium.holder === this) this.medium.holder = undefined;
  }

  private enqueue(step: () => void): Promise<void> {
    const done = this.tail.then(step);
    this.tail = done.catch(() => undefined);
    return done;
  }

  private assertOpen(): void {
    if (this.state === 'new') throw new StoreClosedError('open() has not been called');
    if (this.state === 'closed') throw new StoreClosedError('it was closed');
    this.assertHolder();
  }

  /** Work queued before close() still runs; only a crash of the medium stops it. */
  private assertHolder(): void {
    if (this.medium.holder !== this) throw new StoreClosedError('the medium crashed or was taken over');
  }
}
