import assert from 'node:assert/strict';
import * as vscode from 'vscode';

export function commandsSuite(): void {
  describe('extension host: Weft activates and registers its commands', () => {
    it('is active and contributes its commands', async () => {
      const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'weft');
      assert.ok(ext, 'the Weft extension is loaded');
      await ext!.activate();
      const commands = await vscode.commands.getCommands(true);
      assert.ok(commands.includes('weft.showStatus'));
    });
  });
}
