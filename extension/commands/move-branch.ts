/**
 * "Weft: Move Share to Branch…" (owner and admins): the share follows another Git branch.
 * Each member follows when they check that branch out; until then they are away (their
 * checkout on another branch shares nothing and receives nothing).
 */
import * as vscode from 'vscode';
import { GitCheckout } from '../../protocol/mirror/index.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { pickSession, registerWeftCommand } from './command-support.js';

export function registerMoveBranch(registry: SessionRegistry, log: vscode.LogOutputChannel): vscode.Disposable {
  return registerWeftCommand('weft.moveToBranch', log, async (branchArg?: string, folderArg?: vscode.Uri): Promise<string | undefined> => {
    const session = await pickSession(registry, 'Move which share to another branch?', folderArg);
    if (!session) return undefined;
    const git = await GitCheckout.open(session.folder.fsPath);
    if (!git) throw new Error(`${session.folder.fsPath} is not a Git working tree: there is no branch to follow`);
    try {
      const current = session.replica.branch()?.name;
      const name =
        branchArg ??
        (await vscode.window.showQuickPick(
          (await git.branches()).filter((b) => b !== current),
          { title: `Weft: the share follows ${current ?? 'no branch'}; move it to`, placeHolder: 'a branch of this repository' },
        ));
      if (!name) return undefined;
      const head = await git.head();
      session.replica.setBranch(name, head.branch === name ? head.commit : '');
      await session.commits.flush();
      void vscode.window.showInformationMessage(`Weft: "${session.replica.name}" now follows ${name}. Teammates on another branch are away until they check out ${name}.`);
      return name;
    } finally {
      git.close();
    }
  });
}
