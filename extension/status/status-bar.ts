/** The status bar item: share state, teammates online and how each is connected, brokers, sync progress. Click: the panel. */
import * as vscode from 'vscode';
import type { SessionRegistry } from '../session/session-registry.js';
import { statusBarView } from './status-text.js';

export class WeftStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('weft.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly registry: SessionRegistry) {
    this.item.name = 'Weft';
    this.item.command = 'weft.showPanel';
    this.subscription = registry.onDidChange(() => this.render());
    this.render();
    this.item.show();
  }

  /** The text shown (tests read it). */
  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const view = statusBarView(
      this.registry.all().map((s) => {
        const branch = s.branch();
        return { name: s.replica.name || s.bound.name, status: s.status(), online: s.runtime.presence().length, reader: s.replica.myRole() === 'reader', ...(branch ? { branch } : {}) };
      }),
    );
    this.show(view.text, view.tooltip);
  }

  /** Each property set is a message to the window: only what changed. */
  private show(text: string, tooltip: string): void {
    if (this.item.text !== text) this.item.text = text;
    if (this.item.tooltip !== tooltip) this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
