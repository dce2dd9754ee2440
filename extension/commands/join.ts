/**
 * "Weft: Join…": paste an invitation; the share's files arrive in the current folder
 * (with no folder open, the user picks one, which opens with the join pending). A folder
 * that already holds files, such as the member's own clone, is merged with the share
 * by the folder mirror: equal files adopted, older copies updated, own changes merged,
 * the rest kept beside. A progress notification follows the keys and files.
 * weft.join(invitationText?, folder?) skips the prompts; it resolves once the session runs.
 */
import * as vscode from 'vscode';
import { fingerprint, invitationFromText } from '../../protocol/src/index.js';
import type { Identity } from '../identity.js';
import type { BoundShares } from '../session/bound-shares.js';
import type { SessionLauncher } from '../session/session-launcher.js';
import type { ShareSession } from '../session/share-session.js';
import { describeError, registerWeftCommand } from './command-support.js';

async function isEmptyFolder(folder: vscode.Uri): Promise<boolean> {
  const entries = await vscode.workspace.fs.readDirectory(folder);
  return entries.every(([name]) => name === '.vscode' || name === '.git' || name === '.DS_Store');
}

function validateInvitation(text: string): string | undefined {
  if (!text.trim()) return undefined;
  try {
    invitationFromText(text);
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}

/** Shows progress until the keys and the first files have arrived (or the user dismisses it). */
function followJoin(session: ShareSession, myFingerprint: string): void {
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Weft: joining "${session.bound.name}"`, cancellable: true }, (progress, token) => {
    return new Promise<void>((resolve) => {
      const update = () => {
        if (!session.running) return done();
        const s = session.status();
        if (!s.joined) {
          progress.report({ message: s.peers + s.brokers === 0 ? 'looking for the share on the network…' : `waiting for keys: ask the owner to grant access to your key (fingerprint ${myFingerprint})` });
          return;
        }
        const n = session.replica.files().length;
        if (s.syncing > 0 || n === 0) progress.report({ message: `receiving files (${n})…` });
        else {
          void vscode.window.showInformationMessage(`Joined "${session.replica.name}": ${n} files, you are ${session.replica.myRole() ?? 'not yet a member'}.`);
          done();
        }
      };
      const sub = session.onDidChange(update);
      const timer = setInterval(update, 1000);
      const done = () => {
        sub.dispose();
        clearInterval(timer);
        resolve();
      };
      token.onCancellationRequested(done);
      update();
    });
  });
}

export function registerJoin(launcher: SessionLauncher, bound: BoundShares, identity: Identity, log: vscode.LogOutputChannel): vscode.Disposable {
  return registerWeftCommand('weft.join', log, async (invitationArg?: string, folderArg?: vscode.Uri): Promise<boolean> => {
    const text =
      invitationArg ??
      (await vscode.window.showInputBox({ title: 'Weft: Join', prompt: 'Paste the invitation you were sent', placeHolder: 'weft-invite:…', ignoreFocusOut: true, validateInput: validateInvitation }));
    if (!text) return false;
    invitationFromText(text); // a clear error before anything changes
    let folder = folderArg ?? (vscode.workspace.workspaceFolders?.length === 1 ? vscode.workspace.workspaceFolders[0]!.uri : undefined);
    if (!folder) {
      const choose = 'Choose a Folder…';
      if ((await vscode.window.showWarningMessage('Weft: Open the folder to join into (empty, or your own copy of the files).', choose)) !== choose) return false;
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Join Here' });
      if (!picked?.[0]) return false;
      folder = picked[0];
      if (!vscode.workspace.getWorkspaceFolder(folder) || vscode.workspace.getWorkspaceFolder(folder)!.uri.toString() !== folder.toString()) {
        await bound.setPendingJoin(folder, text);
        await vscode.commands.executeCommand('vscode.openFolder', folder);
        return true;
      }
    }
    if (!(await isEmptyFolder(folder))) {
      // Files already here merge with the share's (docs/FOLDERS.md): nothing of either side is overwritten.
      log.info(`joining into ${folder.fsPath}, which holds files: each is merged with the share's (adopted, updated, merged or kept beside)`);
    }
    const session = await launcher.join(folder, text);
    followJoin(session, fingerprint((await identity.keyPair()).publicKey));
    return true;
  });
}
