/**
 * "Undo" and "Redo" in shared files undo one's own edits only (extension/binding/undo-stack.ts).
 * Ctrl+Z / Ctrl+Y (Cmd+Z / Cmd+Shift+Z) run weft.undo / weft.redo while the active
 * editor shows a shared file (context key weft.sharedEditor); elsewhere VS Code's own
 * undo runs as usual.
 */
import * as vscode from 'vscode';
import type { SessionRegistry } from '../session/session-registry.js';

export function registerUndo(registry: SessionRegistry): vscode.Disposable[] {
  const travel = async (redo: boolean): Promise<boolean> => {
    const doc = vscode.window.activeTextEditor?.document;
    if (doc) {
      for (const s of registry.all()) {
        const done = s.undo(doc, redo);
        if (done !== undefined) return done;
      }
    }
    await vscode.commands.executeCommand(redo ? 'redo' : 'undo');
    return true;
  };
  const updateContext = () => {
    const doc = vscode.window.activeTextEditor?.document;
    const shared = doc !== undefined && registry.all().some((s) => s.binds(doc));
    void vscode.commands.executeCommand('setContext', 'weft.sharedEditor', shared);
  };
  return [
    vscode.commands.registerCommand('weft.undo', () => travel(false)),
    vscode.commands.registerCommand('weft.redo', () => travel(true)),
    vscode.window.onDidChangeActiveTextEditor(updateContext),
    registry.onDidChange(updateContext),
  ];
}
