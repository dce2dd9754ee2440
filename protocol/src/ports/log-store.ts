/**
 * The node's local log: an append-only sequence of opaque records (the log layer
 * stores encoded signed commits in them) plus one optional snapshot of derived state.
 *
 * Contract shared by every implementation (checked by test/protocol/storage/log-store-acceptance.ts):
 * - `open()` is called once, first; it loads every durable record in append order.
 * - `append()` resolves only once its records are durable; calls are applied in call
 *   order, and calls made while a write is in flight are committed together.
 *   A commit may be acknowledged or sent only after its append resolved.
 * - A crash may lose records whose append had not resolved, always as a suffix:
 *   what is loaded after a crash is a prefix of what was appended, whole records only.
 * - `writeSnapshot()` atomically replaces the snapshot. A snapshot is a cache of state
 *   derived from the first `coversRecords` records; it never replaces records.
 * - A store is single-use: after `close()`, construct a new one to open again.
 */

/** Largest record a store accepts by default (a commit is far smaller; this bounds memory on load). */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface LogStore {
  /** Must be called first; loads every durable record in append order. */
  open(): Promise<LoadedLog>;
  /**
   * Resolves only once the records are durable (fsync). Concurrent appends are
   * group-committed (one fsync for many callers) and keep call order. The bytes are
   * copied before the call returns. Rejects with RecordTooLargeError (nothing of the
   * call is stored), StoreClosedError, or StoreFailedError.
   */
  append(records: readonly Uint8Array[]): Promise<void>;
  /**
   * Atomically replaces the snapshot (tmp + fsync + rename + dir fsync). It waits for
   * appends made before it, then requires coversRecords <= durable record count
   * (RangeError otherwise).
   */
  writeSnapshot(bytes: Uint8Array, coversRecords: number): Promise<void>;
  /** Waits for pending appends and snapshots, then releases the store. Idempotent. */
  close(): Promise<void>;
}

export interface LoadedLog {
  records: Uint8Array[];
  snapshot?: { bytes: Uint8Array; coversRecords: number };
  /** Present when a torn or corrupt tail was cut on open. */
  recovered?: RecoveryReport;
  /** Present when a snapshot existed but was not loaded (damaged, or covers more than the log). */
  snapshotDiscarded?: string;
}

export interface RecoveryReport {
  truncatedBytes: number;
  reason: string;
  segment: string;
  /** Byte offset in `segment` where the cut was made (the new end of the file). */
  offset: number;
}

/** Base class of every error a LogStore raises on purpose. */
export class LogStoreError extends Error {}

/** The store is not open: `open()` was not called or did not succeed, or `close()` was. */
export class StoreClosedError extends LogStoreError {
  override readonly name = 'StoreClosedError';
  constructor(reason: string) {
    super(`log store is not open: ${reason}`);
  }
}

/** `open()` was called on a store that is already open. */
export class StoreAlreadyOpenError extends LogStoreError {
  override readonly name = 'StoreAlreadyOpenError';
  constructor() {
    super('log store is already open');
  }
}

/** Another process (or another store object in this process) holds the store. */
export class StoreLockedError extends LogStoreError {
  override readonly name = 'StoreLockedError';
  constructor(
    readonly location: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `log store ${location} is in use` +
        (holderPid !== undefined ? ` by process ${holderPid}` : '') +
        '; close the other Weft window or process that uses it',
    );
  }
}

/** Damage that is not a torn tail. Nothing was deleted; the store stays closed. */
export class CorruptStoreError extends LogStoreError {
  override readonly name = 'CorruptStoreError';
  constructor(
    readonly segment: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`log store damaged in ${segment} at byte ${offset}: ${reason}; nothing was removed`);
  }
}

/** A record is larger than the store's limit. Nothing of that append call was stored. */
export class RecordTooLargeError extends LogStoreError {
  override readonly name = 'RecordTooLargeError';
  constructor(
    readonly index: number,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`record ${index} of the append is ${size} bytes, above the limit of ${limit} bytes`);
  }
}

/**
 * A write or fsync failed (disk full, I/O error). Whether the failed records reached
 * the disk is unknown, so the store refuses further work; reopen it to recover.
 */
export class StoreFailedError extends LogStoreError {
  override readonly name = 'StoreFailedError';
  constructor(override readonly cause: unknown) {
    super(`log store write failed: ${cause instanceof Error ? cause.message : String(cause)}; reopen the store`);
  }
}

/** Throws RecordTooLargeError for the first record above `limit`. */
export function checkRecordSizes(records: readonly Uint8Array[], limit: number): void {
  for (let i = 0; i < records.length; i++) {
    const size = records[i]!.byteLength;
    if (size > limit) throw new RecordTooLargeError(i, size, limit);
  }
}

/** Throws RangeError unless `coversRecords` is a count no larger than `durable`. */
export function checkSnapshotCoverage(coversRecords: number, durable?: number): void {
  if (!Number.isSafeInteger(coversRecords) || coversRecords < 0) {
    throw new RangeError(`snapshot coversRecords must be a non-negative integer, got ${coversRecords}`);
  }
  if (durable !== undefined && coversRecords > durable) {
    throw new RangeError(`snapshot covers ${coversRecords} records but the log holds ${durable}`);
  }
}
