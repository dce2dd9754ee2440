/** "Weft: Share This Folder" and "Weft: Copy Invitation". Both return the invitation text. */
import * as vscode from 'vscode';
import type { SessionLauncher } from '../session/session-launcher.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { pickFolder, pickSession, registerWeftCommand } from './command-support.js';

async function offerInvitation(invitation: string, headline: string): Promise<void> {
  await vscode.env.clipboard.writeText(invitation);
  const copy = 'Copy Invitation';
  void vscode.window.showInformationMessage(`${headline} The invitation is on the clipboard: send it to teammates, then grant them access ("Weft: Grant Access…").`, copy).then(async (choice) => {
    if (choice === copy) await vscode.env.clipboard.writeText(invitation);
  });
}

export function registerShareFolder(launcher: SessionLauncher, registry: SessionRegistry, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    registerWeftCommand('weft.shareFolder', log, async (folderArg?: vscode.Uri): Promise<string | undefined> => {
      const folder = await pickFolder('Which folder do you want to share?', folderArg);
      if (!folder) return undefined;
      const existing = registry.get(folder);
      if (existing) {
        await offerInvitation(existing.invitation(), 'This folder is already shared.');
        return existing.invitation();
      }
      const session = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Weft: sharing this folder…' }, () => launcher.share(folder));
      const invitation = session.invitation();
      await offerInvitation(invitation, `Sharing "${session.replica.name}" (${session.replica.files().length} files).`);
      return invitation;
    }),
    registerWeftCommand('weft.copyInvitation', log, async (folderArg?: vscode.Uri): Promise<string | undefined> => {
      const session = await pickSession(registry, 'Copy the invitation of which share?', folderArg);
      if (!session) return undefined;
      const invitation = session.invitation();
      await vscode.env.clipboard.writeText(invitation);
      void vscode.window.showInformationMessage(`The invitation to "${session.replica.name || session.bound.name}" is on the clipboard.`);
      return invitation;
    }),
  ];
}
