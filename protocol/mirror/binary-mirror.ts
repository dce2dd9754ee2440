/**
 * A folder's binary files <-> a share's binary entries: the binary side of the folder
 * mirror (folder-mirror.ts runs it inside its full passes), for `weft peer` and the VS Code
 * extension alike. Files are read and written only at paths the Folder checked (never
 * through a link, never outside the folder), streamed through `files` (ObjectFiles:
 * the disk's for a NodeFolder), so a large file is never held in memory whole.
 *
 * Which files are binary is the caller's choice (the `disk` map given to ingest): the
 * text mirror reports files with a NUL byte in their first 8000 bytes or not valid UTF-8,
 * and new files too large to share as text.
 *
 * Local to share (writers only: a reader's changed file is overwritten with the share's version): a binary file whose size or modification time differs from what we
 * last synced is chunked, encrypted and stored (PeerRuntime.storeObject; equal bytes
 * give the same reference, so re-reading an unchanged file commits nothing), created
 * as a 'binary' entry if new, and its reference committed with setBinary. A deleted
 * binary file is deleted from the share, unless a new path holds the same bytes in the
 * same pass: then it is a rename.
 *
 * What was last synced at each path (size, modification time, the version's reference)
 * is kept in the mirror's records (kind 'binary', durably), so a restart tells an older
 * copy left unchanged on disk (a teammate's newer version merged but not written yet:
 * it is written now) from a file edited while the mirror was stopped (shared).
 *
 * Share to local: the main version (replica.binaryVersions()[0]) is written at the
 * path; a version not stored here yet is fetched in the background (progress logged
 * and given to `observe`) and written when complete, atomically (temp + rename, vetoed if the file changed
 * meanwhile).
 *
 * Concurrent versions (no silent last-writer-wins): every replica orders them the same
 * way (greatest commit id first). The first is written at the path; each other one as
 * `name (conflict <first 8 hex digits of its commit id>).ext` next to it. These copies
 * are views of the share, not shared files: the mirror never uploads them. The
 * conflict ends when someone saves the file at the path again (the new version
 * supersedes all of them) or deletes a conflict copy (the main version is committed
 * again, which supersedes the others); copies of versions no longer concurrent are
 * removed unless they were edited.
 */
import { decodeObjectRef, encodeObjectRef, type ObjectRef } from '../src/chunks/index.js';
import { bytesEqual, toHex } from '../src/crypto/index.js';
import type { PeerRuntime } from '../runtime/peer-runtime.js';
import type { ObjectFiles } from '../src/ports/object-files.js';
import type { FileId } from '../src/share/manifest.js';
import type { FileStat, Folder } from './folder.js';
import type { MirrorRecords } from './mirror-records.js';

interface Synced extends FileStat {
  /** Hex of the encoded ObjectRef on disk. */
  readonly ref: string;
}

/** `dir/name (conflict 1a2b3c4d).ext` */
export const CONFLICT_COPY = / \(conflict [0-9a-f]{8}\)(\.[^./]*)?$/;

export function conflictCopyPath(path: string, commit: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  const tag = ` (conflict ${commit.slice(0, 8)})`;
  return dot > slash + 1 ? `${path.slice(0, dot)}${tag}${path.slice(dot)}` : `${path}${tag}`;
}

/** Both exist with the same size and modification time. */
function sameStat(a: FileStat | undefined, b: FileStat | undefined): boolean {
  return a !== undefined && b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
}


/** A fetch of one version of a binary file, for progress and error reports. */
export interface BinaryFetchEvent {
  /** Where it will be written (a conflict copy's path for a concurrent version). */
  readonly path: string;
  readonly ref: ObjectRef;
  readonly state: 'start' | 'progress' | 'done' | 'failed';
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** state 'failed': why (ObjectUnavailableError, ShareKeysMissingError, FetchAbortedError...). Retried later. */
  readonly error?: unknown;
}

export interface BinaryMirrorInit {
  readonly folder: Folder;
  /** Streams the files at the local paths `folder` hands out (pathForRead, pathForWrite). */
  readonly files: ObjectFiles;
  readonly runtime: PeerRuntime;
  log(line: string): void;
  /** Asks for another pass soon (a fetch completed, a local edit must come first). */
  reschedule(ms: number): void;
  /** May local changes go to the share? Default: yes. A reader's changed files are overwritten. */
  canWrite?(): boolean;
  /** Fetch progress and failures. */
  observe?(e: BinaryFetchEvent): void;
  /** One fetch attempt gives up after this long (then retried). Default 60 s. */
  readonly fetchTimeoutMs?: number;
  /** Where what was last synced is kept across restarts (the folder mirror's records). */
  readonly records: MirrorRecords;
  /** Test hook: called right before a version is written to `path`. */
  beforeWrite?(path: string): void;
}

export class BinaryMirror {
  /** Files at their paths as last synced (loaded from the records on first use). */
  private readonly shadow = new Map<string, Synced>();
  private loaded = false;
  /** Conflict copies we wrote, by their paths. */
  private readonly copies = new Map<string, Synced & { file: FileId }>();
  private readonly fetching = new Set<string>();
  private readonly retryAt = new Map<string, number>();
  private readonly warned = new Set<string>();
  private readonly abort = new AbortController();

  private readonly folder: Folder;
  private readonly files: ObjectFiles;
  private readonly runtime: PeerRuntime;
  private readonly log: (line: string) => void;
  private readonly reschedule: (ms: number) => void;

  constructor(private readonly init: BinaryMirrorInit) {
    this.folder = init.folder;
    this.files = init.files;
    this.runtime = init.runtime;
    this.log = (l) => init.log(l);
    this.reschedule = (ms) => init.reschedule(ms);
  }

  /** The paths of the binary files last synced (not conflict copies). */
  syncedPaths(): string[] {
    return [...this.synced().keys()];
  }

  /** True when the scan may take this path as binary without reading it (unchanged since synced). */
  knownBinary(path: string, st: FileStat): boolean {
    return sameStat(this.synced().get(path), st) || this.copies.has(path);
  }

  /** What was last synced, by path: the records' binary entries, loaded once. */
  private synced(): Map<string, Synced> {
    if (!this.loaded) {
      this.loaded = true;
      for (const r of this.init.records.all()) if (r.kind === 'binary' && r.ref) this.shadow.set(r.path, { size: r.size, mtimeMs: r.mtimeMs, ref: r.ref });
    }
    return this.shadow;
  }

  /** `path` now holds the version `synced.ref` (durably recorded before this resolves). */
  private async remember(path: string, synced: Synced): Promise<void> {
    this.synced().set(path, synced);
    const file = this.runtime.node.replica.fileAt(path);
    // A binary record's identity is its version's reference (no hash of the bytes is read).
    if (file) await this.init.records.commit([{ set: { path, file, kind: 'binary', hash: synced.ref, size: synced.size, mtimeMs: synced.mtimeMs, ref: synced.ref } }]);
  }

  private async forget(path: string): Promise<void> {
    this.synced().delete(path);
    if (this.init.records.at(path)?.kind === 'binary') await this.init.records.commit([{ forget: path }]);
  }

  stop(): void {
    this.abort.abort();
  }

  /** A regular file's stat, or undefined (nothing there, a link, not a file). */
  private async statOf(path: string): Promise<FileStat | undefined> {
    try {
      return await this.folder.stat(path);
    } catch {
      return undefined;
    }
  }

  /** Local changes to share operations (the caller commits). */
  async ingest(disk: ReadonlyMap<string, FileStat>): Promise<void> {
    const replica = this.runtime.node.replica;
    // Nothing to store without write access or before the share's keys arrived.
    if (!(this.init.canWrite?.() ?? true) || !replica.convergenceSecret()) return;
    // Synced paths gone from disk, by the bytes they held: a new path with those bytes is a rename.
    const gone = new Map<string, string>();
    for (const [path, synced] of this.synced()) if (!disk.has(path) && !gone.has(synced.ref)) gone.set(synced.ref, path);
    for (const [path, st] of disk) {
      if (this.copies.has(path)) continue; // a view of a concurrent version, never a file of the share
      const synced = this.synced().get(path);
      if (sameStat(synced, st)) continue;
      let file = replica.fileAt(path);
      const kind = file && replica.files().find((e) => e.file === file)?.kind;
      if (file && kind !== 'binary') {
        this.warnOnce(`kind:${path}`, `${path} is ${kind} in the share but binary here: left alone`);
        continue;
      }
      const ref = await this.runtime.storeObject(this.files.read(await this.folder.pathForRead(path)));
      const enc = encodeObjectRef(ref);
      const versions = file ? replica.binaryVersions(file) : [];
      const unchanged = versions.length === 1 ? bytesEqual(versions[0]!.ref, enc) : synced === undefined && versions.some((v) => bytesEqual(v.ref, enc));
      const was = file ? undefined : gone.get(toHex(enc));
      const moving = was === undefined ? undefined : replica.fileAt(was);
      if (was !== undefined && moving) {
        replica.renameFile(moving, path);
        gone.delete(toHex(enc));
        await this.forget(was);
        this.log(`renamed ${was} -> ${path}`);
      } else if (!file) {
        file = replica.createFile(path, 'binary', '', { createdAt: st.mtimeMs });
        replica.setBinary(file, enc);
        this.log(`added ${path} (binary, ${ref.size} bytes)`);
      } else if (!unchanged) {
        replica.setBinary(file, enc);
        this.log(`changed ${path} (binary, ${ref.size} bytes)`);
      }
      await this.remember(path, { size: st.size, mtimeMs: st.mtimeMs, ref: toHex(enc) });
    }
    for (const [path] of [...this.synced()]) {
      if (disk.has(path)) continue;
      const file = replica.fileAt(path);
      if (file) {
        replica.deleteFile(file);
        this.log(`deleted ${path}`);
      }
      await this.forget(path);
    }
    for (const [copy, c] of [...this.copies]) {
      if (await this.statOf(copy)) continue;
      this.copies.delete(copy);
      const main = replica.binaryVersions(c.file)[0];
      if (main && replica.binaryVersions(c.file).length > 1) {
        replica.setBinary(c.file, main.ref);
        this.log(`conflict copy ${copy} deleted: kept the main version of ${replica.pathOf(c.file) ?? '?'}`);
      }
    }
  }

  /** The share's binary files to the folder. */
  async writeOut(): Promise<void> {
    const replica = this.runtime.node.replica;
    const live = new Set<string>();
    const liveCopies = new Set<string>();
    for (const entry of replica.files()) {
      if (entry.kind !== 'binary') continue;
      const versions = replica.binaryVersions(entry.file as FileId);
      live.add(entry.path); // also without versions yet (staged, not committed): never removed
      if (versions.length === 0) continue;
      await this.place(entry.path, versions[0]!.ref, undefined);
      for (const v of versions.slice(1)) {
        const copy = conflictCopyPath(entry.path, v.commit);
        liveCopies.add(copy);
        await this.place(copy, v.ref, entry.file as FileId);
      }
    }
    for (const [path, synced] of [...this.synced()]) {
      if (live.has(path)) continue;
      if (sameStat(await this.statOf(path), synced)) {
        await this.folder.remove(path);
        this.log(`removed ${path}`);
      }
      await this.forget(path);
    }
    for (const [copy, synced] of [...this.copies]) {
      if (liveCopies.has(copy)) continue;
      if (sameStat(await this.statOf(copy), synced)) {
        await this.folder.remove(copy);
        this.log(`removed conflict copy ${copy}`);
      }
      this.copies.delete(copy);
    }
  }

  /** Writes one version at `path` (a conflict copy when `copyOf` is set) once its chunks are here. */
  private async place(path: string, enc: Uint8Array, copyOf: FileId | undefined): Promise<void> {
    const table = copyOf ? this.copies : this.synced();
    const synced = table.get(path);
    const hex = toHex(enc);
    if (synced?.ref === hex) return;
    let ref: ObjectRef;
    try {
      ref = decodeObjectRef(enc);
    } catch (err) {
      this.warnOnce(`ref:${hex}`, `${path}: unreadable object reference (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    if (this.fetching.has(ref.id)) return; // written when the fetch completes
    if (!(await this.runtime.hasObject(ref))) {
      this.fetch(path, ref);
      return;
    }
    let full: string;
    try {
      full = await this.folder.pathForWrite(path);
    } catch (err) {
      this.warnOnce(`unsafe:${path}`, `not writing ${path}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const before = await this.statOf(path);
    if (!copyOf && before && !sameStat(before, synced) && (this.init.canWrite?.() ?? true)) {
      // Changed here since we synced it (or never synced): take that in first, unless it already holds these bytes.
      const mine = await this.runtime.storeObject(this.files.read(full));
      if (!bytesEqual(encodeObjectRef(mine), enc)) {
        this.reschedule(0);
        return;
      }
      await this.remember(path, { size: before.size, mtimeMs: before.mtimeMs, ref: hex });
      return;
    }
    // Right before the rename: the file is as it was (no one wrote it meanwhile), and the
    // folders on the way are checked once more (folder.stat throws for a link or a non-file).
    const untouched = async (): Promise<boolean> => {
      let now: FileStat | undefined;
      try {
        now = await this.folder.stat(path);
      } catch {
        return false;
      }
      return before === undefined ? now === undefined : sameStat(now, before);
    };
    this.init.beforeWrite?.(path);
    const written = await this.runtime.saveObject(ref, await this.files.create(full), untouched);
    if (!written) {
      this.reschedule(0);
      return;
    }
    const after = await this.statOf(path);
    if (!after) return;
    if (copyOf) this.copies.set(path, { ...after, ref: hex, file: copyOf });
    else await this.remember(path, { size: after.size, mtimeMs: after.mtimeMs, ref: hex });
    this.log(`wrote ${path} (binary, ${ref.size} bytes${copyOf ? ', a concurrent version' : ''})`);
  }

  private fetch(path: string, ref: ObjectRef): void {
    if (this.fetching.has(ref.id) || (this.retryAt.get(ref.id) ?? 0) > Date.now()) return;
    this.fetching.add(ref.id);
    this.log(`fetching ${path}: ${ref.size} bytes`);
    const observe = (state: BinaryFetchEvent['state'], bytesDone: number, error?: unknown) => {
      try {
        this.init.observe?.({ path, ref, state, bytesDone, bytesTotal: ref.size, ...(error === undefined ? {} : { error }) });
      } catch (err) {
        this.log(`fetch observer: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    observe('start', 0);
    let lastLog = 0;
    this.runtime
      .fetchObject(ref, {
        signal: this.abort.signal,
        timeoutMs: this.init.fetchTimeoutMs ?? 60_000,
        onProgress: (p) => {
          observe('progress', p.bytesDone);
          const now = Date.now();
          if (now - lastLog < 200) return;
          lastLog = now;
          this.log(`fetching ${path}: ${p.bytesDone} of ${p.bytesTotal} bytes`);
        },
      })
      .then((r) => {
        this.retryAt.delete(ref.id);
        this.log(`fetched ${path}: ${r.bytesFetched} bytes in ${r.chunksFetched} chunks over the network, ${r.rejected} rejected`);
        observe('done', ref.size);
        this.reschedule(0);
      })
      .catch((err: unknown) => {
        this.retryAt.set(ref.id, Date.now() + 2000);
        observe('failed', 0, err);
        if (!this.abort.signal.aborted) this.log(`cannot fetch ${path} yet: ${err instanceof Error ? err.message : String(err)}`);
        this.reschedule(2100);
      })
      .finally(() => this.fetching.delete(ref.id));
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log(line);
  }
}
