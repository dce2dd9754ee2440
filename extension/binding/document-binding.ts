/**
 * One open TextDocument bound to one CRDT document (a file of the share).
 *
 * Invariant: the replica's text == the document's text with `pending` applied, where
 * `pending` holds remote changes (already merged into the replica) not yet in the
 * document. Local edits are transformed past `pending` (text-ops.ts xform) before they
 * reach the replica, so keystrokes typed while a remote change is on its way are
 * neither lost nor misplaced.
 *
 * Applying remote changes: a WorkspaceEdit of simultaneous hunks built against the
 * document's current version (VS Code refuses it if the document changed meanwhile;
 * then it is rebuilt from `pending` and retried). While an apply is unresolved, local
 * change events are queued; once it resolves, the event that carries the version our
 * edit produced is our own echo and is dropped, the others are the user's.
 *
 * Line ends: the replica keeps the text as on disk; VS Code's offsets count "\r\n" as
 * two, so they agree. An insert whose line ends VS Code normalises to the document's
 * EOL leaves the texts different: the idle check then edits the replica to match.
 */
import * as vscode from 'vscode';
import type { FileId, ShareReplica } from '../../protocol/src/index.js';
import { diffOp, toHunks, xform, type Op } from './text-ops.js';

export interface DocumentBindingHost {
  readonly replica: ShareReplica;
  /** May this member edit? (Readers' edits are reverted.) */
  canWrite(): boolean;
  /** A local edit reached the replica: commit soon. */
  edited(): void;
  /** A reader tried to edit this document. */
  refused(doc: vscode.TextDocument): void;
  /** The document took remote changes while it had no unsaved edits: it may be saved. */
  cleanAfterRemote(doc: vscode.TextDocument): void;
  log(line: string): void;
}

interface QueuedEvent {
  version: number;
  ops: Op[];
}

const MAX_APPLY_RETRIES = 50;

export class DocumentBinding implements vscode.Disposable {
  private pending: Op[] = [];
  private applying: { version: number; count: number } | undefined;
  /** The version our last successful apply produced, until its change event is seen. */
  private echoVersion: number | undefined;
  private queue: QueuedEvent[] = [];
  private failures = 0;
  private readerRevert = false;
  private repairs = 0;
  private disposed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly doc: vscode.TextDocument,
    readonly file: FileId,
    private readonly host: DocumentBindingHost,
  ) {
    this.reconcile(!doc.isDirty);
  }

  /** Brings document and replica together: the replica wins when `replicaWins` (or we are a reader), else the document. */
  reconcile(replicaWins: boolean): void {
    const text = this.doc.getText();
    const target = this.host.replica.text(this.file);
    if (replicaWins || !this.host.canWrite()) {
      const d = diffOp(text, target);
      this.pending = d ? [d] : [];
      this.pump();
    } else {
      const d = diffOp(target, text);
      if (d) {
        this.host.replica.edit(this.file, d.offset, d.deleteCount, d.insert);
        this.host.edited();
      }
      this.pending = [];
    }
  }

  /** Remote changes to this file, already merged into the replica. */
  remote(changes: readonly Op[]): void {
    this.pending.push(...changes);
    this.pump();
  }

  /** A change event of this document (from onDidChangeTextDocument). */
  changed(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return; // dirty-state or metadata only
    // Change events within one VS Code event refer to the text before it; applied from the end backwards they are sequential.
    const ops = [...e.contentChanges].sort((a, b) => b.rangeOffset - a.rangeOffset).map((c) => ({ offset: c.rangeOffset, deleteCount: c.rangeLength, insert: c.text }));
    this.queue.push({ version: e.document.version, ops });
    this.drain();
  }

  get idle(): boolean {
    return !this.applying && this.pending.length === 0 && this.queue.length === 0 && this.echoVersion === undefined;
  }

  /** Resolves once no remote change waits and no apply is under way. */
  whenIdle(): Promise<void> {
    if (this.idle || this.disposed) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private drain(): void {
    if (this.applying) return; // decided once the apply resolves
    while (this.queue.length) {
      const ev = this.queue.shift()!;
      if (this.echoVersion !== undefined && ev.version >= this.echoVersion) {
        const ours = ev.version === this.echoVersion;
        this.echoVersion = undefined;
        if (ours) continue;
      }
      this.local(ev.ops);
    }
    // The document reached our version without a (non-empty) event: nothing more to wait for.
    if (this.echoVersion !== undefined && this.doc.version >= this.echoVersion) this.echoVersion = undefined;
    if (this.echoVersion !== undefined) return; // wait for our echo
    if (this.readerRevert) {
      this.readerRevert = false;
      const d = diffOp(this.doc.getText(), this.host.replica.text(this.file));
      this.pending = d ? [d] : [];
      this.host.refused(this.doc);
    }
    this.pump();
  }

  private local(ops: Op[]): void {
    if (!this.host.canWrite()) {
      this.readerRevert = true;
      return;
    }
    const [mine, pendingAfter] = xform(ops, this.pending);
    this.pending = pendingAfter;
    const replica = this.host.replica;
    for (const o of mine) {
      const len = replica.text(this.file).length;
      const offset = Math.min(o.offset, len);
      replica.edit(this.file, offset, Math.min(o.deleteCount, len - offset), o.insert);
    }
    if (mine.length) this.host.edited();
  }

  private pump(): void {
    if (this.disposed || this.applying || this.queue.length || this.echoVersion !== undefined) return;
    if (this.pending.length === 0) {
      this.checkIdle();
      return;
    }
    void this.applyPending();
  }

  private async applyPending(): Promise<void> {
    const doc = this.doc;
    const text = doc.getText();
    const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
    const hunks = toHunks(text.length, this.pending).map((h) => ({ ...h, insert: h.insert.replace(/\r\n|\r|\n/g, eol) }));
    const edit = new vscode.WorkspaceEdit();
    for (const h of hunks) edit.replace(doc.uri, new vscode.Range(doc.positionAt(h.offset), doc.positionAt(h.offset + h.deleteCount)), h.insert);
    const wasDirty = doc.isDirty;
    const applying = { version: doc.version, count: this.pending.length };
    this.applying = applying;
    let ok = false;
    try {
      ok = await vscode.workspace.applyEdit(edit);
    } catch (err) {
      this.host.log(`applying remote changes to ${doc.uri.fsPath} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.applying = undefined;
    if (this.disposed) return;
    if (ok) {
      this.failures = 0;
      this.pending = this.pending.slice(applying.count);
      this.echoVersion = applying.version + 1;
      if (!wasDirty) this.host.cleanAfterRemote(doc);
    } else if (++this.failures > MAX_APPLY_RETRIES) {
      this.host.log(`giving up applying remote changes to ${doc.uri.fsPath} after ${MAX_APPLY_RETRIES} tries`);
      this.pending = [];
    }
    // The queue may hold our echo and the user's keystrokes; a refused apply is simply rebuilt.
    this.drain();
  }

  private checkIdle(): void {
    const docText = this.doc.getText();
    const replicaText = this.host.replica.text(this.file);
    if (docText !== replicaText) {
      // VS Code normalised something (line ends): make both agree.
      if (++this.repairs > 20) {
        this.host.log(`${this.doc.uri.fsPath}: the editor keeps differing from the share; stopped repairing`);
      } else if (this.host.canWrite()) {
        const d = diffOp(replicaText, docText)!;
        this.host.replica.edit(this.file, d.offset, d.deleteCount, d.insert);
        this.host.edited();
      } else {
        this.pending = [diffOp(docText, replicaText)!];
        void this.applyPending();
        return;
      }
    } else this.repairs = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  dispose(): void {
    this.disposed = true;
    for (const w of this.idleWaiters) w();
    this.idleWaiters = [];
  }
}
