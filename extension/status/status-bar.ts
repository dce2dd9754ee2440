/** The status bar item: share state, teammates online, broker connection, sync progress. Click: "Weft: Show Status". */
import * as vscode from 'vscode';
import type { SessionRegistry } from '../session/session-registry.js';

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
    const sessions = this.registry.all();
    if (sessions.length === 0) {
      this.show('$(broadcast) Weft', 'Weft: not sharing. Click for status.');
      return;
    }
    let online = 0;
    const brokers = new Set<string>();
    let syncing = 0;
    let waiting = false;
    let reader = false;
    let away: string | undefined;
    for (const s of sessions) {
      away ??= s.branch()?.away;
      const st = s.status();
      online += s.runtime.presence().length;
      for (const key of st.brokerKeys) brokers.add(key);
      syncing += st.syncing;
      waiting ||= !st.joined;
      reader ||= s.replica.myRole() === 'reader';
    }
    const icon = waiting ? '$(key)' : syncing ? '$(sync~spin)' : '$(broadcast)';
    const parts = [waiting ? 'waiting for access' : `${online} online`];
    if (brokers.size) parts.push(`${brokers.size} broker${brokers.size === 1 ? '' : 's'}`);
    if (reader) parts.push('read-only');
    if (away) parts.push(`away (on ${away})`);
    this.show(
      `${icon} Weft: ${parts.join(' · ')}`,
      sessions
        .map((s) => {
          const b = s.branch();
          const git = b ? (b.away ? `, away: on ${b.away}, the share follows ${b.follows}` : `, following branch ${b.follows}`) : '';
          return `${s.replica.name || s.bound.name}: ${s.status().peers} peer(s), ${s.status().brokers} broker(s), ${s.status().commits} commits${git}`;
        })
        .join('\n'),
    );
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
