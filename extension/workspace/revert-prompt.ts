/**
 * Git put a shared file back to HEAD (a stash, a reset --hard, a checkout of the file),
 * which would remove uncommitted text from the share: perhaps a teammate's, typed minutes
 * ago. The member decides; closing the question keeps the share's text (written back).
 * Tests replace `ask` to answer without a dialog.
 */
import * as vscode from 'vscode';

const REMOVE = 'Remove for Everyone';
const KEEP = "Keep the Share's Text";

export const revertPrompt = {
  ask: async (path: string, removedChars: number): Promise<boolean> => {
    const choice = await vscode.window.showWarningMessage(
      `Weft: Git put ${path} back to its last commit, which removes ${removedChars} characters of uncommitted text from the share — your teammates' edits too, if any are among them.`,
      { modal: true, detail: `"${KEEP}" writes the share's text back into ${path}; your stash (if you stashed) still holds what Git saved.` },
      REMOVE,
      KEEP,
    );
    return choice === REMOVE;
  },
};
