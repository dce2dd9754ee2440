/**
 * The presence and access panel (a webview): shows the model's state and turns the
 * webview's requests into calls on the model. Messages are typed
 * (webview/shared/messages.ts) and checked on arrival; a failing request is reported
 * in the panel, never thrown.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isFromPanel, type FromPanel, type GrantableRole, type PanelState, type ToPanel } from '../../webview/shared/messages.js';
import { makeNonce, panelHtml } from './panel-html.js';

/** What the panel needs from a share session. */
export interface PanelModel {
  state(): PanelState | undefined;
  onDidChange(listener: () => void): vscode.Disposable;
  grant(key: string, role: GrantableRole, name: string): Promise<void>;
  changeRole(key: string, role: GrantableRole): Promise<void>;
  revoke(key: string): Promise<void>;
  follow(key: string): Promise<void>;
  copyInvitation(): Promise<void>;
}

export class WeftPanel implements vscode.Disposable {
  static readonly viewType = 'weft.panel';
  private static current: WeftPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly model: PanelModel,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      model.onDidChange(() => void this.post({ type: 'state', state: model.state() })),
    );
  }

  /** Opens the panel (or reveals it) for `model`. */
  static show(extensionUri: vscode.Uri, model: PanelModel): WeftPanel {
    if (WeftPanel.current && WeftPanel.current.model === model) {
      WeftPanel.current.panel.reveal();
      return WeftPanel.current;
    }
    WeftPanel.current?.dispose();
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(WeftPanel.viewType, 'Weft', vscode.ViewColumn.Beside, {
      enableScripts: true,
      localResourceRoots: [root],
      retainContextWhenHidden: false,
    });
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.css')).toString(),
      nonce: makeNonce((n) => randomBytes(n)),
    });
    WeftPanel.current = new WeftPanel(panel, model);
    return WeftPanel.current;
  }

  private post(msg: ToPanel): Thenable<boolean> {
    return this.panel.webview.postMessage(msg);
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isFromPanel(m)) return;
    try {
      await this.handle(m);
    } catch (err) {
      await this.post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async handle(m: FromPanel): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.post({ type: 'state', state: this.model.state() });
        return;
      case 'grant':
        return this.model.grant(m.key, m.role, m.name);
      case 'changeRole':
        return this.model.changeRole(m.key, m.role);
      case 'revoke': {
        const ok = await vscode.window.showWarningMessage('Revoke this member? Their later edits will be rejected and they will not receive new content.', { modal: true }, 'Revoke');
        if (ok === 'Revoke') await this.model.revoke(m.key);
        return;
      }
      case 'follow':
        return this.model.follow(m.key);
      case 'copyInvitation':
        return this.model.copyInvitation();
    }
  }

  dispose(): void {
    if (WeftPanel.current === this) WeftPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
