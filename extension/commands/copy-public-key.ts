/** "Weft: Copy My Public Key": the key text goes to the clipboard; the notification shows its fingerprint. */
import * as vscode from 'vscode';
import { fingerprint, publicKeyToText } from '../../protocol/src/index.js';
import type { Identity } from '../identity.js';

export function registerCopyPublicKey(identity: Identity): vscode.Disposable {
  return vscode.commands.registerCommand('weft.copyPublicKey', async (): Promise<string> => {
    const me = await identity.keyPair();
    const text = publicKeyToText(me.publicKey);
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage(`Your Weft public key is on the clipboard (fingerprint ${fingerprint(me.publicKey)}). Send it to the share's owner so they can grant you access.`);
    return text;
  });
}
