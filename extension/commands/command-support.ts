/** Helpers every command uses: the folder it acts on, and errors a user can act on. */
import * as vscode from 'vscode';
import { DecodeError, KeyTextError, NotAllowedError } from '../../protocol/src/index.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ShareSession } from '../session/share-session.js';

/** Registers a command whose failures become an error notification (and a rejected result for callers). */
export function registerWeftCommand<A extends unknown[], R>(id: string, log: vscode.LogOutputChannel, run: (...args: A) => Promise<R>): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: A) => {
    try {
      return await run(...args);
    } catch (err) {
      const msg = describeError(err);
      log.error(`${id}: ${msg}`);
      void vscode.window.showErrorMessage(`Weft: ${msg}`);
      throw err;
    }
  });
}

export function describeError(err: unknown): string {
  if (err instanceof NotAllowedError) return `${err.message}. Ask the share's owner or an admin.`;
  if (err instanceof KeyTextError) return `that is not a Weft public key: ${err.message}`;
  if (err instanceof DecodeError) return `that is not a valid Weft invitation (${err.message}). Ask for the invitation again ("Weft: Copy Invitation").`;
  return err instanceof Error ? err.message : String(err);
}

/** The workspace folder to act on: the only one, the given one, or the user's pick. */
export async function pickFolder(placeHolder: string, given?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (given) return given;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new Error('no folder is open. Open a folder first (File > Open Folder).');
  if (folders.length === 1) return folders[0]!.uri;
  const pick = await vscode.window.showQuickPick(
    folders.map((f) => ({ label: f.name, description: f.uri.fsPath, folder: f })),
    { placeHolder },
  );
  return pick?.folder.uri;
}

/** The session of a folder, or an error telling the user how to start one. */
export async function pickSession(registry: SessionRegistry, placeHolder: string, given?: vscode.Uri): Promise<ShareSession | undefined> {
  const running = registry.all();
  if (running.length === 0) throw new Error('no folder is shared yet. Run "Weft: Share This Folder" or "Weft: Join…" first.');
  if (given) {
    const s = registry.get(given);
    if (!s) throw new Error(`${given.fsPath} is not shared.`);
    return s;
  }
  if (running.length === 1) return running[0];
  const pick = await vscode.window.showQuickPick(
    running.map((s) => ({ label: s.replica.name || s.bound.name, description: s.folder.fsPath, session: s })),
    { placeHolder },
  );
  return pick?.session;
}
