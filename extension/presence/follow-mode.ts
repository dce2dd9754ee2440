/**
 * Follow mode: keeps our view on a teammate's editor. While following, every change of
 * their presence opens their file (as a preview, in the editor column we follow in)
 * and reveals their cursor line. It stops when we type or move the cursor ourselves,
 * when asked ("Weft: Stop Following"), or when they leave. The status bar says
 * "Following <name>" meanwhile; clicking it stops.
 */
import * as vscode from 'vscode';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ShareSession } from '../session/share-session.js';
import { uriOf } from '../workspace/paths.js';
import { memberName, presenceLocation, type PresenceLocation } from './presence-location.js';
import { clampOffset } from './presence-ranges.js';
import { sharedFileOf } from './shared-file.js';

interface FollowTarget {
  session: ShareSession;
  member: string;
  name: string;
  unsubscribe: () => void;
  /** The location last revealed ("path:offset"). */
  last: string | undefined;
}

export class FollowMode implements vscode.Disposable {
  private target: FollowTarget | undefined;
  private column: vscode.ViewColumn | undefined;
  private revealing: Promise<void> = Promise.resolve();
  private readonly item = vscode.window.createStatusBarItem('weft.following', vscode.StatusBarAlignment.Left, 49);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(registry: SessionRegistry) {
    this.item.name = 'Weft: Following';
    this.item.command = 'weft.stopFollowing';
    this.item.tooltip = 'Weft: click to stop following';
    this.subscriptions.push(
      this.item,
      registry.onDidChange(() => {
        const t = this.target;
        if (t && (!registry.all().includes(t.session) || !t.session.running)) this.stop('the share stopped');
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const kind = e.kind;
        if (this.target && (kind === vscode.TextEditorSelectionChangeKind.Keyboard || kind === vscode.TextEditorSelectionChangeKind.Mouse)) this.stop('you moved the cursor');
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const t = this.target;
        if (!t || e.contentChanges.length === 0) return;
        if (sharedFileOf(registry, e.document.uri)?.session !== t.session) return;
        // Remote changes reach documents through the same event; ours are the ones the
        // binding stages as local edits (it does so synchronously, in this same event).
        setTimeout(() => {
          if (this.target === t && t.session.replica.stagedCount > 0) this.stop('you typed');
        }, 0);
      }),
    );
  }

  /** Whom we follow, if anyone. */
  get following(): { member: string; name: string; session: ShareSession } | undefined {
    const t = this.target;
    return t && { member: t.member, name: t.name, session: t.session };
  }

  /** The status bar text ('' when not following). */
  get statusText(): string {
    return this.target ? this.item.text : '';
  }

  /** Starts following `member` (hex key) of `session`; false (with a message) if they are not online. */
  async start(session: ShareSession, member: string): Promise<boolean> {
    const entry = session.runtime.presence().find((e) => e.memberHex === member);
    if (!entry) {
      void vscode.window.showInformationMessage('Weft: that teammate is not online right now.');
      return false;
    }
    this.stop();
    const name = memberName(session.replica, entry);
    const target: FollowTarget = { session, member, name, last: undefined, unsubscribe: () => undefined };
    // 'changes' too: their cursor may name characters whose commit arrives after their presence.
    const off = [session.runtime.on('presence', () => this.update(target)), session.runtime.on('changes', () => this.update(target))];
    target.unsubscribe = () => off.forEach((u) => u());
    this.target = target;
    this.item.text = `$(eye) Following ${name}`;
    this.item.show();
    if (!entry.presence.file) void vscode.window.setStatusBarMessage(`Weft: ${name} has no file open; following jumps when they open one.`, 5000);
    this.update(target, true);
    await this.revealing;
    return true;
  }

  /** Stops following; `reason` is shown briefly in the status bar. */
  stop(reason?: string): void {
    const t = this.target;
    if (!t) return;
    this.target = undefined;
    t.unsubscribe();
    this.item.hide();
    if (reason) void vscode.window.setStatusBarMessage(`Weft: stopped following ${t.name} (${reason}).`, 5000);
  }

  private update(t: FollowTarget, first = false): void {
    if (this.target !== t) return;
    const entry = t.session.runtime.presence().find((e) => e.memberHex === t.member);
    if (!entry) {
      this.stop(`${t.name} left`);
      return;
    }
    const loc = presenceLocation(t.session.replica, entry.presence);
    if (!loc) return; // no file open: stay where we are until they open one
    if (loc.offset === undefined && entry.presence.selections.length > 0) return; // their cursor's commit is on the way
    const key = `${loc.path}:${loc.offset ?? -1}`;
    if (key === t.last) return;
    t.last = key;
    this.revealing = this.revealing.then(() => this.reveal(t, loc, first)).catch(() => undefined);
  }

  private async reveal(t: FollowTarget, loc: PresenceLocation, first: boolean): Promise<void> {
    if (this.target !== t) return;
    const uri = uriOf(t.session.folder, loc.path);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const viewColumn = shown?.viewColumn ?? this.column ?? vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One;
    // Focus moves to the editor on the first jump only; later jumps leave it where it is.
    const editor = await vscode.window.showTextDocument(uri, { viewColumn, preview: true, preserveFocus: !first });
    if (this.target !== t) return;
    this.column = editor.viewColumn;
    const doc = editor.document;
    const length = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
    const pos = loc.offset !== undefined ? doc.positionAt(clampOffset(loc.offset, length)) : new vscode.Position(Math.min(loc.line, doc.lineCount - 1), 0);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  dispose(): void {
    this.stop();
    for (const s of this.subscriptions) s.dispose();
  }
}
