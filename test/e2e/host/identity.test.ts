import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { publicKeyFromText } from '../../../protocol/src/index.js';
import { weftApi } from './weft-api.js';

export function identitySuite(): void {
  describe('extension host: identity', () => {
    it('Copy My Public Key puts a valid weft1 key on the clipboard, the same on every call (SecretStorage)', async () => {
      await weftApi();
      const first = (await vscode.commands.executeCommand('weft.copyPublicKey')) as string;
      assert.match(first, /^weft1/);
      assert.equal(publicKeyFromText(first).length, 32);
      assert.equal(await vscode.env.clipboard.readText(), first);
      const second = (await vscode.commands.executeCommand('weft.copyPublicKey')) as string;
      assert.equal(second, first, 'the identity persists');
    });
  });
}
