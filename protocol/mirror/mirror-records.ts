/**
 * What the mirror knows of each path it keeps: which entry of the share the file on disk
 * is, and what the disk held when disk and share last agreed — the bytes' hash, size
 * and modification time, and for text the document's version at that moment. That
 * version is the base of every three-way merge: an edit found on disk is the change
 * from the text at that version (ShareReplica.textAt) to the disk's, made at that
 * version (editAt), so it merges with whatever the share got since as if it had been
 * typed then. A record is written (durably) before the file it describes and before the
 * operations it names are committed, marked `pending` with the state before it kept as
 * `previous`: after a crash, the disk's bytes or the document's version tell which of
 * the two holds, and anything else is an edit made while the mirror was stopped.
 *
 * Records persist through a RecordJournal (node-record-journal.ts on disk, or memory):
 * an append-only list of changes, rewritten whole now and then.
 */
import type { FileId } from '../src/share/manifest.js';
import type { FileStat } from './folder.js';

export type SavedVersion = Readonly<Record<string, number>>;

export interface DiskState extends FileStat {
  /** sha256 (hex) of the bytes. */
  readonly hash: string;
  /** Text: the document's version those bytes are the text of. */
  readonly version?: SavedVersion;
  /** In a Git working tree: the commit HEAD was at (a later change that leaves the file as HEAD's blob is Git's). */
  readonly head?: string;
  /** Binary: hex of the encoded ObjectRef those bytes are. */
  readonly ref?: string;
}

export interface MirrorRecord extends DiskState {
  readonly path: string;
  readonly file: FileId;
  readonly kind: 'text' | 'binary';
  /**
   * Set while what the record says is not certain yet, with `previous` holding the state
   * before it: 'commit' — the disk holds these bytes, but the operations that put them in
   * the share may not be durable (the version tells: held or not); 'write' — the share
   * holds this text, but the file may not have been written (the disk's bytes tell);
   * 'git' — the disk is behind the share until the member's pull brings it level (the
   * share's text is not written over it meanwhile).
   */
  readonly pending?: 'commit' | 'write' | 'git';
  readonly previous?: DiskState;
}

/** One persisted change: a record set at its path, or a path forgotten. */
export type RecordChange = { readonly set: MirrorRecord } | { readonly forget: string };

export interface RecordJournal {
  /** Every record, as last persisted. */
  load(): Promise<MirrorRecord[]>;
  /** Durable when it resolves (fsync). */
  append(changes: readonly RecordChange[]): Promise<void>;
  /** Replaces everything with `records` (atomically). */
  rewrite(records: readonly MirrorRecord[]): Promise<void>;
  close(): Promise<void>;
}

export class MirrorRecords {
  private readonly byPath = new Map<string, MirrorRecord>();
  private readonly byFile = new Map<FileId, MirrorRecord>();
  private appendedSinceRewrite = 0;

  private constructor(private readonly journal: RecordJournal) {}

  static async open(journal: RecordJournal): Promise<MirrorRecords> {
    const records = new MirrorRecords(journal);
    for (const r of await journal.load()) records.index(r);
    return records;
  }

  at(path: string): MirrorRecord | undefined {
    return this.byPath.get(path);
  }

  ofFile(file: FileId): MirrorRecord | undefined {
    return this.byFile.get(file);
  }

  all(): MirrorRecord[] {
    return [...this.byPath.values()];
  }

  get size(): number {
    return this.byPath.size;
  }

  /** Persists the changes (durably), then applies them here. */
  async commit(changes: readonly RecordChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.journal.append(changes);
    for (const c of changes) {
      if ('set' in c) this.index(c.set);
      else this.unindex(c.forget);
    }
    this.appendedSinceRewrite += changes.length;
    // The journal is rewritten once it holds many more changes than records.
    if (this.appendedSinceRewrite > Math.max(1000, 2 * this.byPath.size)) {
      await this.journal.rewrite(this.all());
      this.appendedSinceRewrite = 0;
    }
  }

  close(): Promise<void> {
    return this.journal.close();
  }

  private index(r: MirrorRecord): void {
    this.unindex(r.path);
    const old = this.byFile.get(r.file);
    if (old) this.byPath.delete(old.path);
    this.byPath.set(r.path, r);
    this.byFile.set(r.file, r);
  }

  private unindex(path: string): void {
    const old = this.byPath.get(path);
    if (!old) return;
    this.byPath.delete(path);
    if (this.byFile.get(old.file) === old) this.byFile.delete(old.file);
  }
}

/** Records kept in memory only (tests, the simulator's "disk" keeps them across simulated crashes). */
export class MemoryRecordJournal implements RecordJournal {
  records: MirrorRecord[] = [];

  async load(): Promise<MirrorRecord[]> {
    return [...this.records];
  }

  async append(changes: readonly RecordChange[]): Promise<void> {
    const map = new Map(this.records.map((r) => [r.path, r]));
    for (const c of changes) {
      if ('set' in c) {
        for (const [p, r] of map) if (r.file === c.set.file) map.delete(p);
        map.set(c.set.path, c.set);
      } else map.delete(c.forget);
    }
    this.records = [...map.values()];
  }

  async rewrite(records: readonly MirrorRecord[]): Promise<void> {
    this.records = [...records];
  }

  async close(): Promise<void> {}
}
