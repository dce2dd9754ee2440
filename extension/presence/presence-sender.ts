/**
 * Tells teammates where we are: the share path of the focused editor and its
 * selections (as anchors on the share's text), sent on selection and active-editor
 * changes through a ~50 ms trailing throttle; file '' when no shared file is focused.
 * Each session gets what concerns it (a folder not focused is told '').
 *
 * Offsets are taken from the editor and anchored in the replica, which equals the
 * editor's text except while the binding is applying a remote change: then the send
 * waits for the next tick (up to MAX_WAITS) rather than anchor to the wrong character.
 */
import * as vscode from 'vscode';
import type { PresenceSelection } from '../../protocol/src/index.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ShareSession } from '../session/share-session.js';
import { toPresenceSelections } from './presence-ranges.js';
import { sharedFileOf } from './shared-file.js';
import { TrailingThrottle } from './trailing-throttle.js';

export const PRESENCE_SEND_DELAY_MS = 50;
const MAX_WAITS = 20;

export class PresenceSender implements vscode.Disposable {
  private readonly throttle: TrailingThrottle;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** What each session was last told (path and anchors), to skip repeats. */
  private readonly sent = new Map<ShareSession, string>();
  private waits = 0;

  constructor(
    private readonly registry: SessionRegistry,
    delayMs = PRESENCE_SEND_DELAY_MS,
  ) {
    this.throttle = new TrailingThrottle(delayMs, () => this.send());
    const soon = () => this.throttle.trigger();
    this.subscriptions.push(
      vscode.window.onDidChangeTextEditorSelection(soon),
      vscode.window.onDidChangeActiveTextEditor(soon),
      // Sessions start and stop; a new one (or one that just got its keys) is told at once.
      registry.onDidChange(soon),
    );
    soon();
  }

  private send(): void {
    const editor = vscode.window.activeTextEditor;
    const target = editor ? sharedFileOf(this.registry, editor.document.uri) : undefined;
    const sessions = this.registry.all();
    for (const s of [...this.sent.keys()]) if (!sessions.includes(s)) this.sent.delete(s);
    for (const session of sessions) {
      if (!session.running) continue;
      if (!editor || target?.session !== session) {
        this.publish(session, '', []);
        continue;
      }
      const doc = editor.document;
      if (doc.getText() !== session.replica.text(target.file) && this.waits++ < MAX_WAITS) {
        this.throttle.trigger(); // the binding is catching up: anchor once the texts agree
        continue;
      }
      this.waits = 0;
      const offsets = editor.selections.map((sel) => ({ anchor: doc.offsetAt(sel.anchor), active: doc.offsetAt(sel.active) }));
      this.publish(session, target.path, toPresenceSelections(target.doc, offsets));
    }
  }

  private publish(session: ShareSession, path: string, selections: PresenceSelection[]): void {
    const key = `${path}\n${JSON.stringify(selections)}`;
    if (this.sent.get(session) === key) return;
    this.sent.set(session, key);
    session.runtime.setPresence(path, selections).catch(() => this.sent.delete(session));
  }

  dispose(): void {
    this.throttle.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
