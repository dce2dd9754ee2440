/**
 * What a reader sees: their edits are reverted (DocumentBinding) with a warning
 * (at most one per document every few seconds), and editors of shares they only read
 * are made read-only for the session when they become active.
 */
import * as vscode from 'vscode';
import type { SessionRegistry } from '../session/session-registry.js';
import { sharePathOf } from '../workspace/paths.js';

const WARN_EVERY_MS = 5000;

export class ReadOnlyNotice implements vscode.Disposable {
  private readonly lastWarned = new Map<string, number>();
  private readonly subscription: vscode.Disposable;
  /** The last warning shown (tests read it). */
  lastMessage = '';
  /** Documents whose editor was made read-only (tests wait for it before typing). */
  private readonly locked = new Set<string>();

  constructor(private readonly registry: SessionRegistry) {
    this.subscription = vscode.window.onDidChangeActiveTextEditor((e) => e && void this.lockIfReader(e.document));
  }

  /** A reader's edit of `doc` was refused. */
  refused(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const now = Date.now();
    void this.lockIfReader(doc);
    if (now - (this.lastWarned.get(key) ?? 0) < WARN_EVERY_MS) return;
    this.lastWarned.set(key, now);
    this.lastMessage = `Weft: you have read-only access to this share, so your change to ${vscode.workspace.asRelativePath(doc.uri)} was undone. Ask the owner for write access.`;
    void vscode.window.showWarningMessage(this.lastMessage);
  }

  private async lockIfReader(doc: vscode.TextDocument): Promise<void> {
    // The share's folder, which need not be a workspace folder (a join into another folder).
    const session = this.registry.all().find((s) => sharePathOf(s.folder, doc.uri) !== undefined);
    if (!session || session.replica.myRole() !== 'reader') return;
    if (vscode.window.activeTextEditor?.document !== doc) return;
    try {
      await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
      this.locked.add(doc.uri.toString());
    } catch {
      // Older VS Code: the revert still applies.
    }
  }

  /** Was the editor of `uri` made read-only? */
  isLocked(uri: vscode.Uri): boolean {
    return this.locked.has(uri.toString());
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
