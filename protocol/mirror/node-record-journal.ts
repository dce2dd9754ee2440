/**
 * The mirror's records on disk, in a folder of their own (e.g. `.weft/mirror/`):
 *   records.json    every record, as of the last rewrite (replaced atomically)
 *   journal.jsonl   the changes since, one JSON line each, fsync'd before append resolves
 * Loading reads records.json, then replays the journal; a torn last line (a crash in
 * the middle of an append) is cut off. A rewrite writes records.json (temporary file,
 * fsync, rename, fsync of the folder) and only then empties the journal, so a crash in
 * between replays changes already in records.json: replaying them gives the same state.
 */
import { mkdir, open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, fsyncDirectory, writeFully } from '../storage/durable-fs.js';
import type { MirrorRecord, RecordChange, RecordJournal } from './mirror-records.js';

const RECORDS = 'records.json';
const JOURNAL = 'journal.jsonl';
const FORMAT = 1;

export class NodeRecordJournal implements RecordJournal {
  private journal: FileHandle | undefined;
  private journalBytes = 0;
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  async load(): Promise<MirrorRecord[]> {
    await mkdir(this.dir, { recursive: true });
    const byPath = new Map<string, MirrorRecord>();
    try {
      const data = JSON.parse(await readFile(join(this.dir, RECORDS), 'utf8')) as { format?: number; records?: MirrorRecord[] };
      if (data.format !== FORMAT || !Array.isArray(data.records)) throw new Error(`${RECORDS}: unknown format ${String(data.format)}`);
      for (const r of data.records) byPath.set(r.path, r);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    let text = '';
    try {
      text = await readFile(join(this.dir, JOURNAL), 'utf8');
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    let good = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', good)) {
      let change: RecordChange;
      try {
        change = JSON.parse(text.slice(good, end)) as RecordChange;
      } catch {
        break; // a torn or damaged line: it and anything after it never became durable in order
      }
      if ('set' in change) {
        for (const [p, r] of byPath) if (r.file === change.set.file) byPath.delete(p);
        byPath.set(change.set.path, change.set);
      } else byPath.delete(change.forget);
      good = end + 1;
    }
    const goodBytes = Buffer.byteLength(text.slice(0, good));
    if (goodBytes < Buffer.byteLength(text)) await truncate(join(this.dir, JOURNAL), goodBytes);
    this.journal = await open(join(this.dir, JOURNAL), 'a');
    this.journalBytes = goodBytes;
    return [...byPath.values()];
  }

  append(changes: readonly RecordChange[]): Promise<void> {
    const bytes = Buffer.from(changes.map((c) => `${JSON.stringify(c)}\n`).join(''));
    return this.serially(async () => {
      const fh = this.opened();
      await writeFully(fh, bytes, this.journalBytes);
      this.journalBytes += bytes.length;
      await fh.sync();
    });
  }

  rewrite(records: readonly MirrorRecord[]): Promise<void> {
    return this.serially(async () => {
      const tmp = join(this.dir, `${RECORDS}.tmp`);
      const fh = await open(tmp, 'w');
      try {
        await writeFully(fh, Buffer.from(JSON.stringify({ format: FORMAT, records })), 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.dir, RECORDS));
      await fsyncDirectory(this.dir);
      const journal = this.opened();
      await journal.truncate(0);
      await journal.sync();
      this.journalBytes = 0;
    });
  }

  async close(): Promise<void> {
    await this.work;
    await this.journal?.close();
    this.journal = undefined;
  }

  private opened(): FileHandle {
    if (!this.journal) throw new Error('the mirror records are not open');
    return this.journal;
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const p = this.work.then(fn);
    this.work = p.catch(() => undefined);
    return p;
  }
}
