/**
 * A shared Git working tree in the real extension host (issue 15): the share follows
 * the branch it was made on; checking out another branch makes this member away (the
 * status bar says so, and a teammate's edit is not written into the other branch's
 * checkout) until they are back; a `git stash` that would drop a teammate's uncommitted
 * text asks first, and "keep" writes the share's text back.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { publicKeyToText, type FileId } from '../../../protocol/src/index.js';
import { invitationFromText } from '../../../protocol/src/share/invitation.js';
import { newKey, openEmptyNode, startTeammate, until, weftApi, type Teammate } from './weft-api.js';

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };

export function gitSuite(): void {
  describe('extension host: a shared Git working tree', function () {
    this.timeout(180_000);
    let dir: string;
    let mate: Teammate | undefined;
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env });
    const disk = () => readFileSync(join(dir, 'f.txt'), 'utf8');
    const mateText = () => mate!.node.replica.text(mate!.node.replica.fileAt('f.txt') as FileId);

    after(async () => {
      (await weftApi()).answerRevertPrompts(undefined);
      await mate?.stop();
      if (dir) await vscode.commands.executeCommand('weft.stopSharing', vscode.Uri.file(dir));
    });

    it('a branch switch makes this member away: nothing written into that checkout until back on the share\'s branch', async () => {
      const api = await weftApi();
      dir = mkdtempSync(join(tmpdir(), 'weft-git-'));
      git('init', '-q', '-b', 'main');
      writeFileSync(join(dir, 'f.txt'), 'one\ntwo\n');
      git('add', '-A');
      git('commit', '-q', '-m', 'first');
      const invitation = await vscode.commands.executeCommand<string>('weft.shareFolder', vscode.Uri.file(dir));
      const session = api.session(vscode.Uri.file(dir))!;
      assert.deepEqual(session.branch(), { follows: 'main', away: undefined });
      const key = newKey();
      await vscode.commands.executeCommand('weft.grantAccess', publicKeyToText(key.publicKey), 'writer', 'Tess', vscode.Uri.file(dir));
      const inv = invitationFromText(invitation);
      mate = await startTeammate(key, await openEmptyNode(inv.shareId, key), inv.addresses, inv.topics);
      await until('the teammate to hold f.txt', () => mate!.node.replica.fileAt('f.txt') !== undefined && mateText() === 'one\ntwo\n', 60_000);

      git('checkout', '-q', '-b', 'other');
      await until('away', () => session.branch()?.away === 'other' && /away \(on other\)/.test(api.statusText()), 30_000);
      const r = mate!.node.replica;
      r.edit(r.fileAt('f.txt') as FileId, 0, 0, 'tess was here\n');
      await mate!.runtime.commit();
      await until('the edit in our replica', () => session.replica.text(session.replica.fileAt('f.txt') as FileId).startsWith('tess'), 30_000);
      await session.settled();
      assert.equal(disk(), 'one\ntwo\n', 'not written into the other branch\'s checkout');
      git('checkout', '-q', 'main');
      await until('back, and the edit written', () => disk() === 'tess was here\none\ntwo\n' && session.branch()?.away === undefined, 30_000);
    });

    it('a git stash that would drop a teammate\'s uncommitted text asks first; keeping writes the share\'s text back', async () => {
      const api = await weftApi();
      const asked: string[] = [];
      api.answerRevertPrompts(async (path) => {
        asked.push(path);
        return false;
      });
      git('stash', '-q');
      await until('the question', () => asked.includes('f.txt'), 30_000);
      await until('the share\'s text back on disk', () => disk() === 'tess was here\none\ntwo\n', 30_000);
      assert.equal(mateText(), 'tess was here\none\ntwo\n', 'the teammate\'s text is still in the share');
    });
  });
}
