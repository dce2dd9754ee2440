/** A reader's edit is refused: the document goes back to the share's text, with a warning. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { publicKeyFromText, ShareNode } from '../../../protocol/src/index.js';
import { invitationToText } from '../../../protocol/src/share/invitation.js';
import { MemoryLogStore } from '../../../protocol/storage/memory-log-store.js';
import { newKey, startTeammate, until, weftApi, type Teammate } from './weft-api.js';

export function readerSuite(): void {
  describe('extension host: a reader', function () {
    this.timeout(120_000);
    let owner: Teammate | undefined;
    after(async () => {
      await owner?.stop();
    });

    it('joins a share it may only read; its edit is reverted with a message', async () => {
      const api = await weftApi();
      const myKey = (await vscode.commands.executeCommand('weft.copyPublicKey')) as string;
      const key = newKey();
      const { node, shareKey } = await ShareNode.create(new MemoryLogStore(), 'read-only share', key);
      node.replica.createFile('r.txt', 'text', 'read me\n');
      node.replica.grant(publicKeyFromText(myKey), 'reader', 'Rita');
      await node.commit();
      owner = await startTeammate(key, node, []);
      const invitation = invitationToText({
        shareId: shareKey.publicKey,
        name: 'read-only share',
        topics: node.replica.topicsNewestFirst(),
        addresses: owner.transport.addresses().map((addr) => ({ role: 'peer' as const, addr })),
      });
      const folder = vscode.Uri.file(mkdtempSync(join(tmpdir(), 'weft-reader-')));
      assert.equal(await vscode.commands.executeCommand('weft.join', invitation, folder), true);
      const session = api.session(folder)!;
      await until('the reader to receive r.txt', async () => {
        try {
          return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'r.txt'))) === 'read me\n';
        } catch {
          return false;
        }
      });
      assert.equal(session.replica.myRole(), 'reader');
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'r.txt'));
      const editor = await vscode.window.showTextDocument(doc);
      // The editor is made read-only for a reader as it becomes active: typing changes
      // nothing and needs no revert.
      await until('the reader\'s editor to be made read-only', () => api.readOnlyLocked(doc.uri));
      await vscode.commands.executeCommand('type', { text: 'X' });
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(doc.getText(), 'read me\n', 'typing went into a reader\'s editor');
      assert.equal(api.lastReadOnlyMessage(), '', 'the typed character reached the document and had to be reverted');
      // If the user makes the editor writable again, an edit is reverted, with a message.
      await vscode.commands.executeCommand('workbench.action.files.resetActiveEditorReadonlyInSession');
      await until('an edit to get into the writable editor', async () => await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'HACK ')));
      await until('the edit to be reverted', () => doc.getText() === 'read me\n');
      assert.match(api.lastReadOnlyMessage(), /read-only access/);
      assert.equal(owner.node.replica.text(owner.node.replica.fileAt('r.txt')!), 'read me\n');
      assert.equal(session.replica.stagedCount, 0, 'nothing was staged');
      await vscode.commands.executeCommand('weft.stopSharing', folder);
    });
  });
}
