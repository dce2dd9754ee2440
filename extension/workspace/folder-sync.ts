/**
 * Files on disk <-> the share's manifest and documents, for files not open in an
 * editor (open documents belong to the editor binding; VS Code's save writes them).
 *
 * `known` (a DiskBase, kept across sessions) remembers, per path, the text disk and
 * share last agreed on. A disk change is the difference known -> disk, moved past the
 * share's changes since (known -> share) and applied to the replica; then the share's
 * text is written back. On start this also merges edits made while VS Code was closed. What we
 * write is recorded, so the watcher's echo of our own writes changes nothing. A
 * delete followed within RENAME_WINDOW_MS by a create of the same text is a rename.
 * Readers' disk changes are overwritten with the share's text.
 */
import * as vscode from 'vscode';
import type { FileId, ManifestChange, ShareReplica } from '../../protocol/src/index.js';
import { diffOp, xform } from '../binding/text-ops.js';
import type { DiskBase } from './disk-base.js';
import type { IgnoreRules } from './ignore-rules.js';
import { isBinarySyncView, readText, writeText } from './folder-files.js';
import { sharePathOf, uriOf } from './paths.js';

const RENAME_WINDOW_MS = 400;
const WRITE_DELAY_MS = 30;

export interface FolderSyncInit {
  folder: vscode.Uri;
  replica: ShareReplica;
  /** What disk and share last agreed on, per path (persisted). */
  base: DiskBase;
  rules(): IgnoreRules;
  canWrite(): boolean;
  /** Is this file open in an editor (bound)? */
  isOpen(file: FileId): boolean;
  /** Local changes were staged: commit. */
  edited(): void;
  /**
   * Disk events of files that are not text (binary, or too large) and of every
   * delete: binary-sync.ts takes them. Paths of the share's binary entries are left to it.
   */
  nonText?(path: string, event: 'create' | 'change' | 'delete'): void;
  log(line: string): void;
}

export class FolderSync implements vscode.Disposable {
  private readonly known: DiskBase;
  private readonly deleting = new Map<string, { text: string | undefined; timer: NodeJS.Timeout; file: FileId }>();
  private readonly writeTimers = new Map<FileId, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private work: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly init: FolderSyncInit) {
    this.known = init.base;
  }

  /**
   * Merges disk edits made while we were away into the share (before any remote change
   * arrives), writes the share's text to files no editor has open, then watches the
   * folder. Call before binding editors: an open, unsaved-free document shows the disk,
   * so it then simply takes the merged text from the share.
   */
  async start(): Promise<void> {
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(this.init.folder, '**/*'));
    this.subscriptions.push(
      w,
      w.onDidCreate((u) => this.onDisk(u, 'create')),
      w.onDidChange((u) => this.onDisk(u, 'change')),
      w.onDidDelete((u) => this.onDisk(u, 'delete')),
    );
    await this.enqueue(async () => {
      for (const e of this.init.replica.files()) {
        if (e.kind !== 'text') continue;
        const doc = vscode.workspace.textDocuments.find((d) => !d.isClosed && sharePathOf(this.init.folder, d.uri) === e.path);
        if (doc?.isDirty) continue; // unsaved edits: the editor binding makes them the share's
        await this.syncPath(e.path, false, doc !== undefined);
      }
      if (this.init.replica.stagedCount) this.init.edited();
    });
  }

  /** Resolves when every queued disk operation is done. */
  async settled(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.work || this.writeTimers.size || this.deleting.size) {
      last = this.work;
      await last;
      if (this.writeTimers.size || this.deleting.size) await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** An open document was saved: disk and share agree on `text` at `path` as far as the disk goes. */
  saved(path: string, text: string): void {
    this.known.set(path, text);
  }

  /** An editor closed a document of `file`: the disk takes the share's text. */
  closed(file: FileId): void {
    this.scheduleWrite(file);
  }

  /** Remote manifest changes: create, move and delete files on disk. */
  remoteManifest(changes: readonly ManifestChange[]): void {
    void this.enqueue(async () => {
      const moves = changes.filter((c) => c.type === 'moved' && c.oldPath !== undefined);
      for (const c of changes) {
        if (c.type === 'removed') await this.remove(c.path);
        else if (c.type === 'added') {
          if (c.kind === 'folder') await vscode.workspace.fs.createDirectory(uriOf(this.init.folder, c.path));
          else if (c.kind === 'text') await this.syncPath(c.path, true);
        }
      }
      // Two steps, so chains and cycles (a -> b while b -> c) do not overwrite each other.
      const parked: Array<{ tmp: string; to: string; file: FileId }> = [];
      for (const m of moves) {
        const tmp = `${m.oldPath!}.weft-move-${Math.random().toString(36).slice(2, 8)}`;
        if (await this.rename(m.oldPath!, tmp)) parked.push({ tmp, to: m.path, file: m.file });
        else if (m.kind === 'text') parked.push({ tmp: '', to: m.path, file: m.file });
      }
      for (const p of parked) {
        if (p.tmp) await this.rename(p.tmp, p.to);
        this.known.delete(p.to);
        if (!this.init.isOpen(p.file)) await this.syncPath(p.to, true);
      }
    });
  }

  /** Remote text changes of a file no editor has open: written shortly (coalesced). */
  remoteText(file: FileId): void {
    this.scheduleWrite(file);
  }

  /** After a reset: every closed file takes the share's text. */
  rewriteAll(): void {
    for (const e of this.init.replica.files()) if (e.kind === 'text') this.scheduleWrite(e.file as FileId);
  }

  private scheduleWrite(file: FileId): void {
    if (this.writeTimers.has(file) || this.disposed) return;
    this.writeTimers.set(
      file,
      setTimeout(() => {
        void this.enqueue(async () => {
          this.writeTimers.delete(file);
          const path = this.init.replica.pathOf(file);
          if (path !== undefined && !this.init.isOpen(file)) await this.syncPath(path, true);
        });
      }, WRITE_DELAY_MS),
    );
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const p = this.work.then(fn).catch((err: unknown) => this.init.log(`folder sync: ${err instanceof Error ? err.message : String(err)}`));
    this.work = p;
    return p;
  }

  private onDisk(uri: vscode.Uri, kind: 'create' | 'change' | 'delete'): void {
    const path = sharePathOf(this.init.folder, uri);
    if (path === undefined || path.includes('.weft-move-') || isBinarySyncView(path) || this.init.rules().ignores(path)) return;
    void this.enqueue(async () => {
      if (kind === 'delete') {
        this.init.nonText?.(path, kind);
        await this.diskDeleted(path);
      } else {
        const file = this.init.replica.fileAt(path);
        if (file && this.init.isOpen(file)) return;
        if (file ? this.kindOf(file) === 'binary' : (await readText(uriOf(this.init.folder, path))) === undefined) {
          this.init.nonText?.(path, kind);
          return;
        }
        await this.syncPath(path);
      }
      if (this.init.replica.stagedCount) this.init.edited();
    });
  }

  /**
   * Makes disk and share agree on `path`. `shareWins`: the share's text is written
   * even if this path was never synced (a remote change), else a first-seen disk text wins.
   * `editorOpen`: an editor shows this file; the disk's edits reach the share but the
   * share's text is left to the editor (which saves it).
   */
  private async syncPath(path: string, shareWins = false, editorOpen = false): Promise<void> {
    const replica = this.init.replica;
    const uri = uriOf(this.init.folder, path);
    const disk = await readText(uri);
    const file = replica.fileAt(path);
    if (file && this.kindOf(file) !== 'text') return; // binary-sync.ts's
    if (!file) {
      if (disk !== undefined && this.init.canWrite() && !shareWins) await this.diskCreated(path, disk);
      return;
    }
    let share = replica.text(file);
    const known = this.known.get(path);
    if (disk !== undefined && disk !== share && this.init.canWrite()) {
      if (known !== undefined && disk !== known) {
        const local = diffOp(known, disk)!;
        const remote = diffOp(known, share);
        const [mine] = xform([local], remote ? [remote] : []);
        for (const o of mine) replica.edit(file, o.offset, o.deleteCount, o.insert);
      } else if (known === undefined && !shareWins) {
        const d = diffOp(share, disk)!;
        replica.edit(file, d.offset, d.deleteCount, d.insert);
      }
      share = replica.text(file);
    }
    if (editorOpen) {
      if (disk !== undefined) this.known.set(path, disk);
      return;
    }
    if (disk !== share) {
      this.known.set(path, share);
      await writeText(uri, share);
    }
    this.known.set(path, share);
  }

  /** A new file on disk: a rename if a shared file with the same text just went (its delete seen or still to come), else a new file. */
  private async diskCreated(path: string, text: string): Promise<void> {
    const replica = this.init.replica;
    const rename = (file: FileId, old: string) => {
      replica.renameFile(file, path);
      this.known.delete(old);
      this.known.set(path, text);
      this.init.log(`renamed ${old} -> ${path}`);
    };
    for (const [old, d] of this.deleting) {
      if (d.text !== text) continue;
      clearTimeout(d.timer);
      this.deleting.delete(old);
      if (replica.pathOf(d.file) === undefined) break;
      return rename(d.file, old);
    }
    // The watcher may report the create before the delete.
    for (const e of replica.files()) {
      if (e.kind !== 'text' || this.known.get(e.path) !== text || this.init.isOpen(e.file as FileId)) continue;
      if ((await readText(uriOf(this.init.folder, e.path))) === undefined) return rename(e.file as FileId, e.path);
    }
    replica.createFile(path, 'text', text);
    this.known.set(path, text);
    this.init.log(`added ${path}`);
  }

  private async diskDeleted(path: string): Promise<void> {
    const replica = this.init.replica;
    if (await readText(uriOf(this.init.folder, path)) !== undefined) return; // back already (atomic save)
    const under = replica.files().filter((e) => e.kind === 'text' && (e.path === path || e.path.startsWith(`${path}/`)));
    if (!this.init.canWrite()) {
      for (const e of under) this.scheduleWrite(e.file as FileId);
      return;
    }
    for (const e of under) {
      const file = e.file as FileId;
      const text = this.known.get(e.path) ?? replica.text(file);
      const timer = setTimeout(() => {
        void this.enqueue(async () => {
          if (!this.deleting.delete(e.path)) return;
          if (replica.pathOf(file) === e.path && (await readText(uriOf(this.init.folder, e.path))) === undefined) {
            replica.deleteFile(file);
            this.known.delete(e.path);
            this.init.log(`deleted ${e.path}`);
            this.init.edited();
          }
        });
      }, RENAME_WINDOW_MS);
      this.deleting.set(e.path, { text, timer, file });
    }
  }

  private kindOf(file: FileId): string | undefined {
    return this.init.replica.files().find((e) => e.file === file)?.kind;
  }

  private async remove(path: string): Promise<void> {
    this.known.delete(path);
    try {
      await vscode.workspace.fs.delete(uriOf(this.init.folder, path), { recursive: true, useTrash: false });
    } catch {
      // already gone
    }
  }

  private async rename(from: string, to: string): Promise<boolean> {
    const edit = new vscode.WorkspaceEdit();
    edit.renameFile(uriOf(this.init.folder, from), uriOf(this.init.folder, to), { overwrite: true });
    const text = this.known.get(from);
    this.known.delete(from);
    if (text !== undefined) this.known.set(to, text);
    try {
      return await vscode.workspace.applyEdit(edit);
    } catch {
      return false;
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
    for (const t of this.writeTimers.values()) clearTimeout(t);
    for (const d of this.deleting.values()) clearTimeout(d.timer);
    this.writeTimers.clear();
    this.deleting.clear();
  }
}
