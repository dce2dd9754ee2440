/** The running share sessions, one per workspace folder. */
import * as vscode from 'vscode';
import type { ShareSession } from './share-session.js';

export class SessionRegistry implements vscode.Disposable {
  private readonly sessions = new Map<string, ShareSession>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly listeners = new Map<string, vscode.Disposable>();
  /** A session was added, removed, or reported a change. */
  readonly onDidChange = this.changed.event;

  get(folder: vscode.Uri): ShareSession | undefined {
    return this.sessions.get(folder.toString());
  }

  all(): ShareSession[] {
    return [...this.sessions.values()];
  }

  add(session: ShareSession): void {
    const key = session.folder.toString();
    this.sessions.set(key, session);
    this.listeners.set(key, session.onDidChange(() => this.changed.fire()));
    this.changed.fire();
  }

  async remove(folder: vscode.Uri): Promise<void> {
    const key = folder.toString();
    const s = this.sessions.get(key);
    this.sessions.delete(key);
    this.listeners.get(key)?.dispose();
    this.listeners.delete(key);
    await s?.stop();
    this.changed.fire();
  }

  /** Stops every session (deactivate). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((k) => this.remove(vscode.Uri.parse(k))));
  }

  dispose(): void {
    void this.stopAll();
    this.changed.dispose();
  }
}
