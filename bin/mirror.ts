/**
 * Mirrors a share to a folder both ways (the headless peer's "editor").
 *
 * One serialized pass, run on file-system events (debounced), on remote changes, and
 * every second as a fallback:
 *  1. read the folder's text files (skipping .weft/, .git/, node_modules/) and list its
 *     binary files (NUL in the first 8000 bytes or not UTF-8; extension/workspace/binary-mirror.ts syncs
 *     those: chunked, encrypted, fetched, concurrent versions kept as conflict copies);
 *  2. local changes become share operations: a file whose text differs from what we
 *     last synced (the shadow) is edited by the difference (common prefix and suffix),
 *     rebased over remote changes merged since (a 3-way step against the shadow); new
 *     files are created, missing ones deleted, a missing and a new file with the same
 *     text are a rename; then one commit;
 *  3. the share's text is written where the folder differs, atomically (temp + rename),
 *     and becomes the shadow, so our own writes are not read back as edits.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { FileId } from '../protocol/src/share/manifest.js';
import { diffText as diffChange } from '../protocol/src/text/diff.js';
import type { PeerRuntime } from '../protocol/src/runtime/peer-runtime.js';
import { BinaryMirror, CONFLICT_COPY, type FileStat } from '../extension/workspace/binary-mirror.js';

const SKIP = new Set(['.weft', '.git', 'node_modules']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface FolderScan {
  /** Text files: relative path ('/' separated) -> text. */
  readonly texts: Map<string, string>;
  /** Binary files: relative path -> size and modification time. */
  readonly binaries: Map<string, FileStat>;
}

/**
 * Reads the folder's text files and lists its binary ones. `knownBinary` lets a caller
 * skip reading a file it already knows as binary and unchanged (large files).
 * Conflict copies (binary-mirror.ts) are views of the share, not files of it: skipped.
 */
export async function scanFolder(root: string, knownBinary?: (path: string, st: FileStat) => boolean): Promise<FolderScan> {
  const texts = new Map<string, string>();
  const binaries = new Map<string, FileStat>();
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (SKIP.has(e.name) || e.name.includes('.weft-tmp-') || CONFLICT_COPY.test(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const rel = relative(root, p).split(sep).join('/');
        let st: FileStat;
        try {
          const s = await stat(p);
          st = { size: s.size, mtimeMs: s.mtimeMs };
        } catch {
          continue;
        }
        if (knownBinary?.(rel, st)) {
          binaries.set(rel, st);
          continue;
        }
        const read = await readFileKind(p);
        if (read === 'binary') binaries.set(rel, st);
        else if (read !== undefined) texts.set(rel, read);
      }
    }
  };
  await walk(root);
  return { texts, binaries };
}

/** The folder's text files: relative path ('/' separated) -> text. */
export async function readTextFiles(root: string): Promise<Map<string, string>> {
  return (await scanFolder(root)).texts;
}

/** A file's text, 'binary' (NUL in the first 8000 bytes, or not UTF-8), or undefined (unreadable). */
async function readFileKind(p: string): Promise<string | 'binary' | undefined> {
  let b: Buffer;
  try {
    b = await readFile(p);
  } catch {
    return undefined;
  }
  if (b.subarray(0, 8000).includes(0)) return 'binary';
  try {
    return utf8.decode(b);
  } catch {
    return 'binary';
  }
}

async function readText(p: string): Promise<string | undefined> {
  const r = await readFileKind(p);
  return r === 'binary' ? undefined : r;
}

export interface TextDiff {
  offset: number;
  del: number;
  ins: string;
}

/** The single changed range between two texts, in the mirror's short field names. */
export function diffText(a: string, b: string): TextDiff | undefined {
  const c = diffChange(a, b);
  return c && { offset: c.offset, del: c.deleteCount, ins: c.insert };
}

/** Moves a change made on `base` to apply after `other` (also made on base). Overlaps keep the insert, drop the delete. */
function rebase(c: TextDiff, other: TextDiff | undefined): TextDiff {
  if (!other) return c;
  if (c.offset >= other.offset + other.del) return { ...c, offset: c.offset + other.ins.length - other.del };
  if (c.offset + c.del <= other.offset) return c;
  return { offset: other.offset + other.ins.length, del: 0, ins: c.ins };
}

export class FolderMirror {
  private readonly shadow = new Map<string, string>();
  private running: Promise<void> = Promise.resolve();
  private queued = false;
  private watcher: FSWatcher | undefined;
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly binary: BinaryMirror;

  constructor(
    private readonly root: string,
    private readonly runtime: PeerRuntime,
    private readonly log: (line: string) => void,
  ) {
    this.binary = new BinaryMirror({ root, runtime, log, reschedule: (ms) => this.schedule(ms) });
  }

  async start(): Promise<void> {
    this.runtime.on('changes', () => this.schedule(5));
    try {
      this.watcher = watch(this.root, { recursive: true }, (_e, name) => {
        if (name && (String(name).startsWith('.weft') || String(name).includes('.weft-tmp-'))) return;
        this.schedule(30);
      });
    } catch {
      this.log('file watching unavailable; rescanning every second');
    }
    this.interval = setInterval(() => this.schedule(0), 1000);
    await this.pass();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.binary.stop();
    this.watcher?.close();
    if (this.interval) clearInterval(this.interval);
    if (this.debounce) clearTimeout(this.debounce);
    await this.running;
  }

  /** Runs a pass soon (after `ms`), at most one queued behind the running one. */
  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.pass();
    }, ms);
  }

  /** Ends when the folder and the share agree (as far as this pass saw). */
  pass(): Promise<void> {
    if (this.queued) return this.running;
    this.queued = true;
    this.running = this.running.then(async () => {
      this.queued = false;
      if (this.stopped) return;
      try {
        const scan = await scanFolder(this.root, (path, st) => this.binary.knownBinary(path, st));
        await this.ingest(scan);
        await this.writeOut();
        await this.binary.writeOut();
      } catch (err) {
        this.log(`mirror: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.running;
  }

  private async ingest(scan: FolderScan): Promise<void> {
    const replica = this.runtime.node.replica;
    if (replica.myRole() === undefined) return;
    if (replica.myRole() === 'reader') return;
    const disk = scan.texts;
    await this.binary.ingest(scan.binaries);
    const created: string[] = [];
    const gone: string[] = [];
    for (const [path, text] of disk) {
      const base = this.shadow.get(path);
      const file = replica.fileAt(path);
      if (!file) {
        if (base === undefined || text !== base) created.push(path);
        continue;
      }
      const current = replica.text(file);
      if (base === undefined) {
        // First sight (a restart): the folder wins over the stored share.
        const d = diffText(current, text);
        if (d) replica.edit(file, d.offset, d.del, d.ins);
      } else if (text !== base) {
        const mine = diffText(base, text)!;
        const d = rebase(mine, diffText(base, current));
        replica.edit(file, Math.min(d.offset, current.length), Math.min(d.del, current.length - Math.min(d.offset, current.length)), d.ins);
      }
      this.shadow.set(path, text);
    }
    for (const path of this.shadow.keys()) if (!disk.has(path) && replica.fileAt(path)) gone.push(path);
    for (const path of gone) {
      const file = replica.fileAt(path)!;
      const i = created.findIndex((c) => disk.get(c) === this.shadow.get(path));
      if (i >= 0) {
        const to = created.splice(i, 1)[0]!;
        replica.renameFile(file, to);
        this.log(`renamed ${path} -> ${to}`);
        this.shadow.set(to, disk.get(to)!);
      } else {
        replica.deleteFile(file);
        this.log(`deleted ${path}`);
      }
      this.shadow.delete(path);
    }
    for (const path of created) {
      replica.createFile(path, 'text', disk.get(path)!);
      this.shadow.set(path, disk.get(path)!);
      this.log(`added ${path}`);
    }
    if (replica.stagedCount > 0) await this.runtime.commit();
  }

  private async writeOut(): Promise<void> {
    const replica = this.runtime.node.replica;
    const live = new Set<string>();
    for (const entry of replica.files()) {
      if (entry.kind !== 'text') continue;
      const path = entry.path;
      live.add(path);
      const text = replica.text(entry.file as FileId);
      if (this.shadow.get(path) === text) continue;
      const full = join(this.root, ...path.split('/'));
      const onDisk = await readText(full);
      if (onDisk !== undefined && onDisk !== (this.shadow.get(path) ?? onDisk)) {
        this.schedule(0); // edited while we merged: take that edit in first
        continue;
      }
      if (onDisk !== text) {
        await mkdir(dirname(full), { recursive: true });
        const tmp = `${full}.weft-tmp-${process.pid}`;
        await writeFile(tmp, text);
        // Re-read just before replacing: an edit made meanwhile is taken in first.
        if ((await readText(full)) !== onDisk) {
          await rm(tmp, { force: true });
          this.schedule(0);
          continue;
        }
        await rename(tmp, full);
        this.log(`wrote ${path}`);
      }
      this.shadow.set(path, text);
    }
    for (const [path, text] of [...this.shadow]) {
      if (live.has(path)) continue;
      const full = join(this.root, ...path.split('/'));
      if ((await readText(full)) === text) {
        await rm(full, { force: true });
        this.log(`removed ${path}`);
      }
      this.shadow.delete(path);
    }
  }
}
