import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { invitationFromText } from '../../../protocol/src/share/invitation.js';
import { weftApi } from './weft-api.js';

const enc = new TextEncoder();

export function shareSuite(): void {
  describe('extension host: Share This Folder', () => {
    it('shares the folder\'s text files, honouring .gitignore and weft.exclude, and copies an invitation', async () => {
      const api = await weftApi();
      const folder = vscode.workspace.workspaceFolders![0]!.uri;
      const put = (p: string, t: string) => vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, p), enc.encode(t));
      await put('.gitignore', 'build/\n*.tmp\n');
      await put('notes.txt', 'line one\nline two\n');
      await put('crlf.txt', 'alpha\r\nbeta\r\ngamma\r\n');
      await put('fuzz.txt', 'The quick brown fox\njumps over the lazy dog.\n');
      await put('skip.log', 'excluded by weft.exclude\n');
      await put('scratch.tmp', 'ignored by .gitignore\n');
      await put('build/out.js', 'ignored folder\n');
      await put('src/deep/file.ts', 'export const x = 1;\n');
      const config = vscode.workspace.getConfiguration('weft');
      await config.update('exclude', ['**/*.log'], vscode.ConfigurationTarget.Global);
      await config.update('lan', false, vscode.ConfigurationTarget.Global);
      const invitation = (await vscode.commands.executeCommand('weft.shareFolder')) as string;
      assert.match(invitation, /^weft-invite:/);
      assert.equal(await vscode.env.clipboard.readText(), invitation);
      const inv = invitationFromText(invitation);
      assert.ok(inv.addresses.some((a) => a.role === 'peer' && a.addr.includes('/p2p/')), 'the invitation names our own address');
      const session = api.session()!;
      assert.ok(session, 'a session runs for the folder');
      const paths = session.replica.files().map((e) => e.path).sort();
      assert.deepEqual(paths, ['.gitignore', 'crlf.txt', 'fuzz.txt', 'hello.md', 'notes.txt', 'src/deep/file.ts']);
      assert.equal(session.replica.text(session.replica.fileAt('crlf.txt')!), 'alpha\r\nbeta\r\ngamma\r\n');
      assert.equal(session.replica.myRole(), 'owner');
      assert.match(api.statusText(), /Weft/);
      const again = (await vscode.commands.executeCommand('weft.copyInvitation')) as string;
      assert.equal(invitationFromText(again).name, inv.name);
    });
  });
}
