/**
 * One open TextDocument bound to one CRDT document (a file of the share).
 *
 * Invariant: the replica's text == the document's text (as far as its change events
 * have been processed) with `flight.ops` (our edit on its way to the editor, if any)
 * and then `pending` (remote changes, undo steps) applied. Local edits are transformed
 * past both (text-ops.ts xform) before they reach the replica, so keystrokes typed while
 * a remote change is on its way are neither lost nor misplaced.
 *
 * Applying remote changes: one WorkspaceEdit at a time (the flight), of simultaneous
 * hunks built on the document's current text. VS Code may refuse it (then it is retried)
 * or apply it to a newer text than it was built on, by line and character: so versions
 * cannot tell our edit's change event from the user's. Instead, each change event that
 * arrives while the flight is out is compared with what our hunks would make of the text
 * before it (applyLineHunks): that one is our echo; every other event is the user's. If
 * our edit landed elsewhere than intended (the user's edits moved lines meanwhile), the
 * difference goes to the front of `pending` and is corrected by the next apply.
 *
 * Line ends: the replica keeps the text as on disk; VS Code's offsets count "\r\n" as
 * two, so they agree. An insert whose line ends are normalised to the document's EOL
 * leaves the texts different: the idle check then edits the replica to match.
 */
import * as vscode from 'vscode';
import type { FileId, ShareReplica } from '../../protocol/src/index.js';
import { applyLineHunks, applyOps, diffOp, lineEndOps, toHunks, toLineHunks, xform, type LineHunk, type Op } from './text-ops.js';
import { UndoStack } from './undo-stack.js';

/** WEFT_TRACE=1: log each local change event and each remote apply, to follow a keystroke end to end. */
const TRACING = process.env.WEFT_TRACE === '1';

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

/** Our edit on its way to the editor. */
interface Flight {
  /** The change, as a sequence on `prev` (kept transformed past the user's edits that come first). */
  ops: Op[];
  /** What we sent: line/character hunks on the text we built them on. */
  readonly hunks: LineHunk[];
  /** The document's text as far as processed (before our echo). */
  prev: string;
  /** Our echo arrived. */
  landed: boolean;
  wasDirty: boolean;
}

/** A refused apply (the user typed meanwhile) is retried on the next change event, or after this back-off. */
const RETRY_BASE_MS = 10;
const RETRY_MAX_MS = 500;
/** An apply VS Code reported done whose change event never came: the document is resynchronised. */
const ECHO_TIMEOUT_MS = 3000;

/** Equal but for line ends (which a document with one EOL cannot always show as the share has them). */
function sameButLineEnds(a: string, b: string): boolean {
  return a.replace(/\r\n?/g, '\n') === b.replace(/\r\n?/g, '\n');
}

function fmt(ops: readonly Op[]): string {
  return `[${ops.map((o) => `${o.offset}-${o.deleteCount}+${JSON.stringify(o.insert.length > 24 ? `${o.insert.slice(0, 24)}…${o.insert.length}` : o.insert)}`).join(' ')}]`;
}

export class DocumentBinding implements vscode.Disposable {
  private pending: Op[] = [];
  private flight: Flight | undefined;
  /** The flight's applyEdit has not resolved yet (no new apply until it has). */
  private unresolved = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private echoTimer: NodeJS.Timeout | undefined;
  private readerRevert = false;
  private repairs = 0;
  private disposed = false;
  private idleWaiters: Array<() => void> = [];
  /** The last steps taken, for the log when the document and the share disagree. */
  private readonly trail: string[] = [];
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
    const target = this.host.replica.text(this.file);
    if (replicaWins || !this.host.canWrite()) {
      // The document will read as the flight leaves it; from there to the replica.
      const from = this.flight && !this.flight.landed ? applyOps(this.flight.prev, this.flight.ops) : this.doc.getText();
      const d = diffOp(from, target);
      this.pending = d ? [d] : [];
      this.pump();
    } else {
      const d = diffOp(target, this.doc.getText());
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
    this.note(`remote ${fmt(changes)}`);
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
    this.note(`${undo ? 'undo' : 'redo'} ${fmt(applied)}`);
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
    if (TRACING) this.host.log(`trace local-change v${e.document.version} ${Date.now()}`);
    // Change events within one VS Code event refer to the text before it; applied from the end backwards they are sequential.
    const ops = [...e.contentChanges].sort((a, b) => b.rangeOffset - a.rangeOffset).map((c) => ({ offset: c.rangeOffset, deleteCount: c.rangeLength, insert: c.text }));
    this.note(`event v${e.document.version} ${fmt(ops)}`);
    const f = this.flight;
    if (f && !f.landed) {
      const after = e.document.getText();
      // Line ends aside: the document's EOL normalisation may differ from our simulation's.
      if (sameButLineEnds(applyLineHunks(f.prev, f.hunks), after)) {
        this.landed(f, after);
        return;
      }
      this.local(ops);
      f.prev = after;
    } else this.local(ops);
    this.afterLocal();
  }

  get idle(): boolean {
    return !this.flight && !this.unresolved && this.pending.length === 0;
  }

  /** Resolves once no remote change waits and no apply is under way. */
  whenIdle(): Promise<void> {
    if (this.idle || this.disposed) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Our echo: the document went from `flight.prev` to `after`. */
  private landed(f: Flight, after: string): void {
    f.landed = true;
    const intended = applyOps(f.prev, this.hunksAsShown(f.prev, f.ops).reverse());
    if (after !== intended && !sameButLineEnds(after, intended)) {
      // It landed by line and character on a text the user had changed: put it right.
      // (Line ends alone are left to the idle check, which gives the share the document's.)
      const d = diffOp(after, intended);
      if (d) this.pending.unshift(d);
      this.note(`echo landed off; correcting ${fmt(d ? [d] : [])}`);
    } else this.note('echo');
    if (!f.wasDirty) this.host.cleanAfterRemote(this.doc);
    if (!this.unresolved) this.flight = undefined;
    this.pump();
  }

  private afterLocal(): void {
    if (this.readerRevert && !this.flight) {
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
    let o = ops;
    const f = this.flight;
    if (f && !f.landed) [o, f.ops] = xform(o, f.ops);
    const [mine, pendingAfter] = xform(o, this.pending);
    this.note(`local ${fmt(ops)} past ${f && !f.landed ? `${fmt(f.ops)} + ` : ''}${fmt(this.pending)} -> ${fmt(mine)}`);
    this.pending = pendingAfter;
    const replica = this.host.replica;
    const now = Date.now();
    for (const x of mine) {
      const before = replica.text(this.file);
      const offset = Math.min(x.offset, before.length);
      const op = { offset, deleteCount: Math.min(x.deleteCount, before.length - offset), insert: x.insert };
      replica.edit(this.file, op.offset, op.deleteCount, op.insert);
      this.history.local(op, before, now);
    }
    if (mine.length) this.host.edited();
  }

  private pump(): void {
    if (this.disposed || this.flight || this.unresolved) return;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (this.readerRevert) return this.afterLocal();
    if (this.pending.length === 0) {
      this.checkIdle();
      return;
    }
    void this.applyPending();
  }

  private async applyPending(): Promise<void> {
    const doc = this.doc;
    const prev = doc.getText();
    const ops = this.pending;
    this.pending = [];
    const hunks = this.hunksAsShown(prev, ops);
    const edit = new vscode.WorkspaceEdit();
    for (const h of hunks) edit.replace(doc.uri, new vscode.Range(doc.positionAt(h.offset), doc.positionAt(h.offset + h.deleteCount)), h.insert);
    const flight: Flight = { ops, hunks: toLineHunks(prev, hunks), prev, landed: false, wasDirty: doc.isDirty };
    if (applyLineHunks(prev, flight.hunks) === prev) {
      // Nothing the document can show (e.g. half of a "\r\n"): no edit, no echo to wait for.
      this.note(`nothing to apply for ${fmt(hunks)}`);
      this.checkIdle();
      return;
    }
    this.flight = flight;
    this.unresolved = true;
    this.note(`apply v${doc.version} ${fmt(hunks)}`);
    if (TRACING) this.host.log(`trace apply-start v${doc.version} ${Date.now()}`);
    let ok = false;
    try {
      ok = await vscode.workspace.applyEdit(edit);
    } catch (err) {
      this.host.log(`applying remote changes to ${doc.uri.fsPath} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.unresolved = false;
    if (TRACING) this.host.log(`trace apply-${ok ? 'done' : 'refused'} v${doc.version} ${Date.now()}`);
    this.note(`apply ${ok ? 'done' : 'refused'}${flight.landed ? ', echo seen' : ''} (now v${doc.version})`);
    if (this.disposed) return;
    if (flight.landed) {
      this.failures = 0;
      this.flight = undefined;
      this.pump();
      return;
    }
    if (ok) {
      // Done, and its change event still to come: wait for it (events meanwhile are the user's).
      this.echoTimer = setTimeout(() => {
        this.echoTimer = undefined;
        if (this.flight !== flight || flight.landed) return;
        this.host.log(`${doc.uri.fsPath}: the editor never reported our last change; resynchronising with the share. Last steps:\n  ${this.trail.join('\n  ')}`);
        this.flight = undefined;
        const text = doc.getText();
        const target = this.host.replica.text(this.file);
        const d = sameButLineEnds(text, target) ? undefined : diffOp(text, target);
        this.pending = d ? [d] : [];
        this.pump();
      }, ECHO_TIMEOUT_MS);
      return;
    }
    // Refused: the document changed meanwhile (the user typed). The changes are never
    // dropped: they go back in front of `pending` (transformed past the user's edits),
    // and the next change event retries at once; a back-off timer retries if none comes.
    this.flight = undefined;
    this.pending = [...flight.ops, ...this.pending];
    this.failures++;
    if (this.failures % 100 === 0) this.host.log(`${doc.uri.fsPath}: remote changes still waiting after ${this.failures} refused applies`);
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(6, this.failures - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
  }

  /** `ops` on `text` as simultaneous hunks, their line ends those of the document (as VS Code will insert them). */
  private hunksAsShown(text: string, ops: readonly Op[]): Op[] {
    const eol = this.doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
    return toHunks(text.length, ops).map((h) => ({ ...h, insert: h.insert.replace(/\r\n|\r|\n/g, eol) }));
  }

  private checkIdle(): void {
    const docText = this.doc.getText();
    const replicaText = this.host.replica.text(this.file);
    if (docText !== replicaText) {
      // VS Code normalised line ends: the share takes the document's. Any other difference
      // would be a binding fault: the document follows the share, which holds every local
      // change event and every remote change.
      const onlyLineEnds = sameButLineEnds(docText, replicaText);
      if (++this.repairs > 20) {
        this.host.log(`${this.doc.uri.fsPath}: the editor keeps differing from the share; stopped repairing`);
      } else if (this.host.canWrite() && onlyLineEnds) {
        const ops = lineEndOps(replicaText, docText) ?? [diffOp(replicaText, docText)!];
        for (const op of ops) this.host.replica.edit(this.file, op.offset, op.deleteCount, op.insert);
        this.history.remote(ops);
        this.note(`line ends as the document's ${fmt(ops)}`);
        this.host.edited();
      } else {
        if (this.host.canWrite()) {
          const d = diffOp(docText, replicaText)!;
          this.host.log(`${this.doc.uri.fsPath}: the editor differed from the share at ${d.offset} (editor ${JSON.stringify(docText.slice(d.offset, d.offset + d.deleteCount).slice(0, 80))}, share ${JSON.stringify(d.insert.slice(0, 80))}); it takes the share's text. Last steps:\n  ${this.trail.join('\n  ')}`);
        }
        this.pending = [diffOp(docText, replicaText)!];
        void this.applyPending();
        return;
      }
    } else this.repairs = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private note(step: string): void {
    this.trail.push(step.length > 300 ? `${step.slice(0, 300)}…` : step);
    if (this.trail.length > 40) this.trail.shift();
  }

  dispose(): void {
    this.disposed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.echoTimer) clearTimeout(this.echoTimer);
    for (const w of this.idleWaiters) w();
    this.idleWaiters = [];
  }
}
