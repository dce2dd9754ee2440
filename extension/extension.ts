/**
 * Wires the extension up: builds the object graph by hand and pushes everything to
 * context.subscriptions. Returns a small API for tests (test-api.ts).
 */
import * as vscode from 'vscode';
import { ReadOnlyNotice } from './binding/read-only-notice.js';
import { registerAccessCommands } from './commands/access.js';
import { registerCopyPublicKey } from './commands/copy-public-key.js';
import { registerFollow } from './commands/follow.js';
import { registerJoin } from './commands/join.js';
import { registerMoveBranch } from './commands/move-branch.js';
import { registerShareFolder } from './commands/share-folder.js';
import { registerStopAndStatus } from './commands/stop-and-status.js';
import { registerUndo } from './commands/undo.js';
import { Identity } from './identity.js';
import { FollowMode } from './presence/follow-mode.js';
import { PresenceSender } from './presence/presence-sender.js';
import { RemoteCursors } from './presence/remote-cursors.js';
import { BoundShares } from './session/bound-shares.js';
import { SessionLauncher } from './session/session-launcher.js';
import { SessionRegistry } from './session/session-registry.js';
import { WeftStatusBar } from './status/status-bar.js';
import { testApi, type WeftTestApi } from './test-api.js';
import { WeftPanel } from './ui/panel.js';
import { sessionPanelModel } from './ui/panel-model.js';

let registry: SessionRegistry | undefined;

export function activate(context: vscode.ExtensionContext): WeftTestApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Weft', { log: true });
  const identity = new Identity(context.secrets);
  const bound = new BoundShares(context.workspaceState, context.globalState);
  registry = new SessionRegistry();
  const notice = new ReadOnlyNotice(registry);
  const launcher = new SessionLauncher({ identity, bound, registry, globalStorage: context.globalStorageUri, log, refused: (doc) => notice.refused(doc) });
  const status = new WeftStatusBar(registry);
  const cursors = new RemoteCursors(registry);
  const follow = new FollowMode(registry);
  context.subscriptions.push(
    cursors,
    follow,
    new PresenceSender(registry),
    ...registerFollow(registry, follow, log),
    log,
    registry,
    notice,
    status,
    registerCopyPublicKey(identity),
    ...registerShareFolder(launcher, registry, log),
    ...registerAccessCommands(registry, log),
    registerJoin(launcher, bound, identity, log),
    registerMoveBranch(registry, log),
    ...registerStopAndStatus(launcher, registry, log),
    ...registerUndo(registry),
    vscode.commands.registerCommand('weft.showPanel', () => {
      const session = registry?.all()[0];
      if (!session) {
        void vscode.window.showInformationMessage('Weft: this folder is not shared. Run "Weft: Share This Folder" or "Weft: Join…".');
        return;
      }
      WeftPanel.show(context.extensionUri, sessionPanelModel(session, follow));
    }),
  );
  // Resume the shares this workspace's folders are bound to.
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    launcher.resume(f.uri).catch((err: unknown) => {
      log.error(`could not resume the share of ${f.uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
      void vscode.window.showErrorMessage(`Weft: could not resume sharing ${f.name}: ${err instanceof Error ? err.message : String(err)}. Run "Weft: Show Status" for details.`);
    });
  }
  const api = testApi(registry, () => vscode.workspace.workspaceFolders?.[0]?.uri, () => status.text, notice, {
    remoteCursors: () => cursors.rendered(),
    following: () => {
      const f = follow.following;
      return f && { member: f.member, name: f.name, statusText: follow.statusText };
    },
  }, {
    pause: (folder) => registry!.remove(folder),
    resume: (folder) => launcher.resume(folder),
  });
  // Read by `npm run bench -- editor` (editor.activate_ms) from the Weft log.
  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return api;
}

/** Stops every session so logs are closed and teammates see us leave. */
export async function deactivate(): Promise<void> {
  await registry?.stopAll();
  registry = undefined;
}
