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
import { UndoStack } from './undo-stack.js';

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

/** A refused apply (the user typed meanwhile) is retried on the next change event, or after this back-off. */
const RETRY_BASE_MS = 10;
const RETRY_MAX_MS = 500;

export class DocumentBinding implements vscode.Disposable {
  private pending: Op[] = [];
  private applying: { version: number; count: number } | undefined;
  /** The version our last successful apply produced, until its change event is seen. */
  private echoVersion: number | undefined;
  private queue: QueuedEvent[] = [];
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readerRevert = false;
  private repairs = 0;
  private disposed = false;
  private idleWaiters: Array<() => void> = [];
  /** One's own edits, to undo without undoing teammates' (replica coordinates). */
  private readonly history = new UndoStack();

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
        this.history.remote([d]);
        this.host.edited();
      }
      this.pending = [];
    }
  }

  /** Remote changes to this file, already merged into the replica. */
  remote(changes: readonly Op[]): void {
    this.pending.push(...changes);
    this.history.remote(changes);
    this.pump();
  }

  /** Undoes one's own latest edit group (teammates' edits stay). False if there is none. */
  undo(): boolean {
    return this.travel(true);
  }

  /** Redoes the latest undone group. False if there is none. */
  redo(): boolean {
    return this.travel(false);
  }

  private travel(undo: boolean): boolean {
    if (!this.host.canWrite()) return false;
    const replica = this.host.replica;
    const applied: Op[] = [];
    const apply = (op: Op): string => {
      const text = replica.text(this.file);
      const offset = Math.min(op.offset, text.length);
      const deleteCount = Math.min(op.deleteCount, text.length - offset);
      replica.edit(this.file, offset, deleteCount, op.insert);
      applied.push({ offset, deleteCount, insert: op.insert });
      return text.slice(offset, offset + deleteCount);
    };
    const done = undo ? this.history.undo(apply) : this.history.redo(apply);
    if (applied.length) {
      // The replica changed first; the document follows like it does for remote changes.
      this.pending.push(...applied);
      this.host.edited();
      this.pump();
    }
    return done;
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
    const now = Date.now();
    for (const o of mine) {
      const before = replica.text(this.file);
      const offset = Math.min(o.offset, before.length);
      const op = { offset, deleteCount: Math.min(o.deleteCount, before.length - offset), insert: o.insert };
      replica.edit(this.file, op.offset, op.deleteCount, op.insert);
      this.history.local(op, before, now);
    }
    if (mine.length) this.host.edited();
  }

  private pump(): void {
    if (this.disposed || this.applying || this.queue.length || this.echoVersion !== undefined) return;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
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
      this.drain();
      return;
    }
    // Refused: the document changed meanwhile (the user typed; their change events are on
    // their way or queued). The pending changes are never dropped: the next change event
    // retries at once, and a back-off timer retries if none comes.
    this.failures++;
    if (this.failures % 100 === 0) this.host.log(`${doc.uri.fsPath}: remote changes still waiting after ${this.failures} refused applies`);
    if (this.queue.length) {
      this.drain();
      return;
    }
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(6, this.failures - 1));
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drain();
    }, delay);
  }

  private checkIdle(): void {
    const docText = this.doc.getText();
    const replicaText = this.host.replica.text(this.file);
    if (docText !== replicaText) {
      // VS Code normalised line ends: the share takes the document's. Any other difference
      // would be a binding fault: the document follows the share, which holds every local
      // change event and every remote change.
      const onlyLineEnds = docText.replace(/\r\n?/g, '\n') === replicaText.replace(/\r\n?/g, '\n');
      if (++this.repairs > 20) {
        this.host.log(`${this.doc.uri.fsPath}: the editor keeps differing from the share; stopped repairing`);
      } else if (this.host.canWrite() && onlyLineEnds) {
        const d = diffOp(replicaText, docText)!;
        this.host.replica.edit(this.file, d.offset, d.deleteCount, d.insert);
        this.history.remote([d]);
        this.host.edited();
      } else {
        if (this.host.canWrite()) this.host.log(`${this.doc.uri.fsPath}: the editor differed from the share; it takes the share's text`);
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
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of this.idleWaiters) w();
    this.idleWaiters = [];
  }
}
