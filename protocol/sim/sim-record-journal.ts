/**
 * The folder mirror's records (mirror-records.ts) on a member's simulated disk, with the
 * durability of the node journal (node-record-journal.ts) and no more:
 * - each change is one record of a SimDisk log, made durable by the append's fsync
 *   before `append` resolves (the node journal's one JSON line each, fsync'd);
 * - a crash keeps the durable records and a random prefix of those still being written
 *   (the node journal cuts a torn last line and keeps the lines before it);
 * - a rewrite is the log's snapshot, replaced whole or not at all (records.json written
 *   to a temporary file, fsync'd and renamed); it covers the records appended so far,
 *   and loading replays the records after it, as the node journal replays journal.jsonl.
 */
import type { MirrorRecord, RecordChange, RecordJournal } from '../mirror/mirror-records.js';
import type { SimDisk, SimLogStore } from './sim-disk.js';

/** The log on a member's SimDisk that holds its mirror's records. */
export const MIRROR_RECORDS_LOG = 'mirror-records';

export class SimRecordJournal implements RecordJournal {
  private store: SimLogStore | undefined;
  /** Records in the log (durable or on their way): what a snapshot taken now covers. */
  private appended = 0;

  constructor(private readonly disk: SimDisk) {}

  async load(): Promise<MirrorRecord[]> {
    const store = this.disk.log(MIRROR_RECORDS_LOG);
    const loaded = await store.open();
    this.store = store;
    this.appended = loaded.records.length;
    const byPath = new Map<string, MirrorRecord>();
    if (loaded.snapshot) for (const r of decode<MirrorRecord[]>(loaded.snapshot.bytes)) byPath.set(r.path, r);
    for (const bytes of loaded.records.slice(loaded.snapshot?.coversRecords ?? 0)) apply(byPath, decode<RecordChange>(bytes));
    return [...byPath.values()];
  }

  append(changes: readonly RecordChange[]): Promise<void> {
    const store = this.opened();
    this.appended += changes.length;
    return store.append(changes.map(encode));
  }

  rewrite(records: readonly MirrorRecord[]): Promise<void> {
    return this.opened().writeSnapshot(encode(records), this.appended);
  }

  async close(): Promise<void> {
    await this.store?.close();
    this.store = undefined;
  }

  private opened(): SimLogStore {
    if (!this.store) throw new Error('the mirror records are not open');
    return this.store;
  }
}

/** A change applied as MemoryRecordJournal and the node journal apply it: a file's record moves with it. */
function apply(byPath: Map<string, MirrorRecord>, change: RecordChange): void {
  if ('set' in change) {
    for (const [p, r] of byPath) if (r.file === change.set.file) byPath.delete(p);
    byPath.set(change.set.path, change.set);
  } else byPath.delete(change.forget);
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function decode<T>(bytes: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}
