/**
 * Local changes found on disk, staged in the replica and made durable in the one order
 * that survives a crash at any point:
 *   1. the records that say what the disk now holds (at which version) are written;
 *   2. the staged operations are committed (stored, then published).
 * A crash between 1 and 2 leaves records naming versions the document lacks; the mirror
 * then falls back to each record's `previous` state and takes the edit in again. The
 * other order would leave the operations stored and the records stale: the edit would
 * be taken in twice.
 *
 * A change of any size is split into commits under the limit: callers stage a piece,
 * add its bytes here, and `flushIfFull` commits once the batch passes its budget.
 */
import type { MirrorRecords, RecordChange } from './mirror-records.js';

/** Bytes of staged text per commit; a commit holds at most 1 MiB with its overhead. */
export const DEFAULT_COMMIT_BUDGET = 256 * 1024;

export class LocalBatch {
  private records: RecordChange[] = [];
  private bytes = 0;
  private staged = false;

  constructor(
    private readonly store: MirrorRecords,
    private readonly commit: () => Promise<unknown>,
    private readonly budget = DEFAULT_COMMIT_BUDGET,
  ) {}

  /** Something was staged in the replica, of about `bytes` bytes. */
  addStaged(bytes: number): void {
    this.staged = true;
    this.bytes += bytes;
  }

  /** A record to write before the next commit. */
  record(change: RecordChange): void {
    this.records.push(change);
  }

  get full(): boolean {
    return this.bytes >= this.budget;
  }

  /** Remaining room in this commit (bytes), at least a small piece. */
  get room(): number {
    return Math.max(4096, this.budget - this.bytes);
  }

  async flushIfFull(): Promise<void> {
    if (this.full) await this.flush();
  }

  async flush(): Promise<void> {
    const records = this.records;
    const staged = this.staged;
    this.records = [];
    this.bytes = 0;
    this.staged = false;
    await this.store.commit(records);
    if (staged) await this.commit();
  }
}
