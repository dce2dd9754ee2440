/**
 * A shared folder's binary files in VS Code: files that are not text (a NUL byte in the
 * first 8000 bytes, not UTF-8) or too large to share as text (MAX_TEXT_FILE_BYTES) are
 * shared as binary files: chunked, encrypted, stored in the share's chunk store and
 * committed as object references; remote versions are fetched and written atomically.
 *
 * The sync itself is the headless mirror's (binary-mirror.ts, shared with bin/mirror.ts),
 * including conflict copies `name (conflict <8 hex of commit>).ext` for concurrent
 * versions, which are never uploaded. This file adds what VS Code needs around it:
 * - which files: a scan on start (honouring .gitignore and weft.exclude), then the
 *   FileSystemWatcher's events that FolderSync hands over (its `nonText` hook); every
 *   pass re-stats the known binary paths, so our own writes never look like deletes;
 * - one serialized pass (ingest local changes if we may write, commit, write the share's
 *   versions), run on start, on disk events (debounced) and on remote changes;
 * - progress: a notification for fetches above LARGE_BYTES, the status bar otherwise;
 *   clear messages when a version cannot be fetched yet ("waiting for a teammate or
 *   broker that has <file>"). onDidTransfer reports every step (tests, status).
 * Only for folders on the local file system (the chunk store reads and writes paths).
 */
import * as vscode from 'vscode';
import { ObjectUnavailableError, FetchAbortedError, ShareKeysMissingError, type PeerRuntime } from '../../protocol/src/runtime/peer-runtime.js';
import { BinaryMirror, statOf, type BinaryFetchEvent, type FileStat } from './binary-mirror.js';
import { isBinarySyncView, scanFolderFiles } from './folder-files.js';
import type { IgnoreRules } from './ignore-rules.js';
import { uriOf } from './paths.js';

/** Fetches above this show a notification with progress; smaller ones the status bar. */
export const LARGE_BYTES = 1024 * 1024;
const UI_THROTTLE_MS = 100;
const RENAME_WINDOW_MS = 400;

export interface BinarySyncInit {
  folder: vscode.Uri;
  runtime: PeerRuntime;
  rules(): IgnoreRules;
  canWrite(): boolean;
  /** Local changes were staged: commit them (resolves when committed). */
  commit(): Promise<void>;
  log(line: string): void;
  /** One fetch attempt gives up after this long, then says so and retries. Default 30 s. */
  fetchTimeoutMs?: number;
}

/** One step of a fetch, as shown to the user. */
export interface BinaryTransferReport extends Omit<BinaryFetchEvent, 'ref' | 'error'> {
  readonly shownIn: 'notification' | 'status bar';
  /** state 'failed': the message shown (or logged) */
  readonly message?: string;
}

interface Shown {
  readonly path: string;
  readonly shownIn: BinaryTransferReport['shownIn'];
  lastUi: number;
  percent: number;
  report?: (r: { increment: number; message: string }) => void;
  finish?: () => void;
}

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

export class BinarySync implements vscode.Disposable {
  private readonly mirror: BinaryMirror | undefined;
  /** Binary files on disk (not text, not ignored): path -> size and mtime. */
  private readonly disk = new Map<string, FileStat>();
  private readonly shown = new Map<string, Shown>();
  /** Files whose versions no connected peer or broker had, by object id. */
  private readonly waiting = new Map<string, string>();
  private readonly warned = new Set<string>();
  /** Synced paths found missing from disk, since when (see renameWindowOpen). */
  private readonly missingSince = new Map<string, number>();
  private readonly transferred = new vscode.EventEmitter<BinaryTransferReport>();
  /** Every fetch step (start, progress, done, failed). */
  readonly onDidTransfer = this.transferred.event;
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 99);
  private running: Promise<void> = Promise.resolve();
  private queued = false;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly init: BinarySyncInit) {
    if (init.folder.scheme !== 'file') {
      init.log(`binary files are not shared: ${init.folder.toString()} is not on the local file system`);
      return;
    }
    this.mirror = new BinaryMirror({
      root: init.folder.fsPath,
      runtime: init.runtime,
      log: (l) => init.log(l),
      reschedule: (ms) => this.schedule(ms),
      canWrite: () => init.canWrite(),
      observe: (e) => this.observe(e),
      fetchTimeoutMs: init.fetchTimeoutMs ?? 30_000,
    });
  }

  /** Finds the folder's binary files, stores and commits them (if we may write), writes the share's. */
  async start(): Promise<void> {
    if (!this.mirror) return;
    const { others } = await scanFolderFiles(this.init.folder, this.init.rules(), (l) => this.init.log(l));
    for (const path of others) {
      const st = await statOf(this.full(path));
      if (st) this.disk.set(path, st);
    }
    await this.pass();
  }

  /** FolderSync's hook: a file that is not text was created or changed, or any path was deleted. */
  diskEvent(path: string, event: 'create' | 'change' | 'delete'): void {
    if (!this.mirror || this.disposed || isBinarySyncView(path)) return;
    if (event === 'delete') {
      for (const p of [...this.disk.keys()]) if (p === path || p.startsWith(`${path}/`)) this.disk.delete(p);
      // A rename is a delete and a create, in either order: give the create time to come.
      this.schedule(RENAME_WINDOW_MS);
      return;
    }
    void this.take(path).then(() => this.schedule(30));
  }

  /** The share's binary files, manifest or members changed. */
  remoteChanged(): void {
    this.schedule(5);
  }

  /** Resolves when no pass is running or due (fetches may still run). */
  async settled(): Promise<void> {
    while (this.timer || this.queued) await (this.timer ? new Promise((r) => setTimeout(r, 20)) : this.running);
    await this.running;
  }

  private full(path: string): string {
    return uriOf(this.init.folder, path).fsPath;
  }

  /** A created path: a file (not text) or a folder moved in (its files that are not text). */
  private async take(path: string): Promise<void> {
    if (this.init.rules().ignores(path)) return;
    let type: vscode.FileType;
    try {
      type = (await vscode.workspace.fs.stat(uriOf(this.init.folder, path))).type;
    } catch {
      return;
    }
    if (type & vscode.FileType.SymbolicLink) return;
    if (type & vscode.FileType.Directory) {
      const { others } = await scanFolderFiles(uriOf(this.init.folder, path), this.init.rules(), (l) => this.init.log(l));
      for (const p of others) {
        const st = await statOf(this.full(`${path}/${p}`));
        if (st) this.disk.set(`${path}/${p}`, st);
      }
      return;
    }
    const st = await statOf(this.full(path));
    if (st) this.disk.set(path, st);
  }

  private schedule(ms: number): void {
    if (this.disposed || !this.mirror) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pass();
    }, ms);
  }

  /** One serialized pass: local changes to the share (writers), then the share to disk. */
  private pass(): Promise<void> {
    const mirror = this.mirror;
    if (!mirror || this.queued) return this.running;
    this.queued = true;
    this.running = this.running.then(async () => {
      this.queued = false;
      if (this.disposed) return;
      const replica = this.init.runtime.node.replica;
      try {
        // Re-stat what we know: our own writes and deletes, and events not seen (yet).
        for (const path of new Set([...this.disk.keys(), ...mirror.syncedPaths()])) {
          const st = await statOf(this.full(path));
          if (st && !this.init.rules().ignores(path)) this.disk.set(path, st);
          else this.disk.delete(path);
        }
        if (this.renameWindowOpen(mirror.syncedPaths())) return;
        if (this.init.canWrite() && replica.convergenceSecret()) {
          await mirror.ingest(this.disk);
          // Committed before writing out: the share's versions then include ours.
          if (replica.stagedCount) await this.init.commit();
        }
        await mirror.writeOut();
      } catch (err) {
        if (!(err instanceof ShareKeysMissingError)) this.init.log(`binary files: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.running;
  }

  /**
   * A synced file gone from disk for less than RENAME_WINDOW_MS may be half of a rename
   * whose create the watcher has not reported yet: the pass waits (else the rename would
   * be a delete and an add, and a writer elsewhere would see the file vanish).
   */
  private renameWindowOpen(synced: readonly string[]): boolean {
    if (!this.init.canWrite()) return false;
    const now = Date.now();
    const missing = new Set(synced.filter((p) => !this.disk.has(p)));
    for (const p of [...this.missingSince.keys()]) if (!missing.has(p)) this.missingSince.delete(p);
    let wait = 0;
    for (const p of missing) {
      const since = this.missingSince.get(p) ?? now;
      this.missingSince.set(p, since);
      wait = Math.max(wait, since + RENAME_WINDOW_MS - now);
    }
    if (wait <= 0) return false;
    this.schedule(wait);
    return true;
  }

  // ---- progress and errors ----

  private observe(e: BinaryFetchEvent): void {
    let s = this.shown.get(e.ref.id);
    if (e.state === 'start' || !s) {
      s?.finish?.();
      s = this.show(e);
      this.shown.set(e.ref.id, s);
      this.updateStatus();
    }
    let message: string | undefined;
    if (e.state === 'progress') {
      const now = Date.now();
      if (now - s.lastUi >= UI_THROTTLE_MS) {
        s.lastUi = now;
        const percent = e.bytesTotal ? Math.floor((e.bytesDone / e.bytesTotal) * 100) : 100;
        s.report?.({ increment: percent - s.percent, message: `${mb(e.bytesDone)} of ${mb(e.bytesTotal)}` });
        s.percent = percent;
        this.updateStatus();
      }
    } else if (e.state === 'done' || e.state === 'failed') {
      s.finish?.();
      this.shown.delete(e.ref.id);
      if (e.state === 'done') this.waiting.delete(e.ref.id);
      else message = this.failed(e);
      this.updateStatus();
    }
    this.transferred.fire({ path: e.path, state: e.state, bytesDone: e.bytesDone, bytesTotal: e.bytesTotal, shownIn: s.shownIn, ...(message ? { message } : {}) });
  }

  private show(e: BinaryFetchEvent): Shown {
    if (e.bytesTotal <= LARGE_BYTES) return { path: e.path, shownIn: 'status bar', lastUi: 0, percent: 0 };
    const s: Shown = { path: e.path, shownIn: 'notification', lastUi: 0, percent: 0 };
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Weft: receiving ${e.path} (${mb(e.bytesTotal)})` },
      (progress) =>
        new Promise<void>((resolve) => {
          s.report = (r) => progress.report(r);
          s.finish = resolve;
        }),
    );
    return s;
  }

  /** The message for a failed fetch (shown once per version; retried in the background). */
  private failed(e: BinaryFetchEvent): string | undefined {
    if (e.error instanceof FetchAbortedError || e.error instanceof ShareKeysMissingError) return undefined;
    const once = (text: string, show: (t: string) => unknown) => {
      if (!this.warned.has(e.ref.id)) {
        this.warned.add(e.ref.id);
        void show(text);
      }
      this.init.log(text);
      return text;
    };
    if (e.error instanceof ObjectUnavailableError) {
      this.waiting.set(e.ref.id, e.path);
      return once(`Weft: waiting for a teammate or broker that has ${e.path} (${mb(e.bytesTotal)}); it arrives when one of them is online.`, (t) => vscode.window.showWarningMessage(t));
    }
    const why = e.error instanceof Error ? e.error.message : String(e.error);
    return once(`Weft: could not receive ${e.path}: ${why}. Weft retries; if this persists, ask its author to save it again.`, (t) => vscode.window.showErrorMessage(t));
  }

  private updateStatus(): void {
    if (this.disposed) return;
    const small = [...this.shown.values()].filter((s) => s.shownIn === 'status bar');
    if (small.length === 1) {
      this.statusItem.text = `$(cloud-download) Weft: ${small[0]!.path} ${small[0]!.percent}%`;
      this.statusItem.tooltip = `Receiving ${small[0]!.path}`;
    } else if (small.length > 1) {
      this.statusItem.text = `$(cloud-download) Weft: receiving ${small.length} files`;
      this.statusItem.tooltip = small.map((s) => `${s.path} ${s.percent}%`).join('\n');
    } else if (this.waiting.size > 0) {
      this.statusItem.text = `$(cloud-download) Weft: waiting for ${this.waiting.size} file${this.waiting.size === 1 ? '' : 's'}`;
      this.statusItem.tooltip = `No teammate or broker online has these yet:\n${[...this.waiting.values()].join('\n')}`;
    } else {
      this.statusItem.hide();
      return;
    }
    this.statusItem.show();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.mirror?.stop();
    for (const s of this.shown.values()) s.finish?.();
    this.shown.clear();
    this.statusItem.dispose();
    this.transferred.dispose();
  }
}
