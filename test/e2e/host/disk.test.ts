/**
 * The folder on disk, inside the real extension host (issues 13, 14 and 27): a writer's
 * modified client cannot write `.git/` or through a link in the shared folder, and the
 * refusal shows in the panel's state; a 20 MB paste reaches a teammate whole; edits made
 * on disk while VS Code was closed merge line by line, also against a teammate's delete
 * and rename; joining a folder that already holds files merges it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { publicKeyToText, ShareNode, type FileId } from '../../../protocol/src/index.js';
import { encodeWire, PUBSUB_PROTOCOL } from '../../../protocol/src/multicast/wire.js';
import { invitationFromText, invitationToText } from '../../../protocol/src/share/invitation.js';
import { MemoryLogStore } from '../../../protocol/storage/memory-log-store.js';
import type { ShareSession } from '../../../extension/session/share-session.js';
import type { WeftTestApi } from '../../../extension/test-api.js';
import { sessionPanelModel } from '../../../extension/ui/panel-model.js';
import type { FollowMode } from '../../../extension/presence/follow-mode.js';
import { craftCreates } from '../../protocol/share/hostile-commits.js';
import { newKey, openEmptyNode, startTeammate, until, weftApi, type Teammate } from './weft-api.js';

const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const TEN = Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join('');
const withLines = (changes: Record<number, string>) =>
  TEN.split('\n')
    .map((l, i) => changes[i + 1] ?? l)
    .join('\n');

export function diskSuite(): void {
  describe('extension host: the folder on disk', function () {
    this.timeout(240_000);
    let api: WeftTestApi;
    let session: ShareSession;
    let folder: vscode.Uri;
    let mate: Teammate | undefined;
    let inv: ReturnType<typeof invitationFromText>;
    let key: ReturnType<typeof newKey>;
    const root = () => folder.fsPath;
    const disk = (p: string) => (existsSync(join(root(), p)) ? readFileSync(join(root(), p), 'utf8') : undefined);
    const mateText = (p: string) => {
      const f = mate!.node.replica.fileAt(p);
      return f === undefined ? undefined : mate!.node.replica.text(f);
    };

    before(async () => {
      api = await weftApi();
      session = api.session()!;
      folder = vscode.workspace.workspaceFolders![0]!.uri;
      key = newKey();
      await vscode.commands.executeCommand('weft.grantAccess', publicKeyToText(key.publicKey), 'writer', 'Mallory');
      inv = invitationFromText(session.invitation());
      mate = await startTeammate(key, await openEmptyNode(inv.shareId, key), inv.addresses, inv.topics);
      await until('the teammate to hold the share', () => mate!.node.replica.myRole() === 'writer' && mate!.node.replica.files().length > 0, 60_000);
    });

    after(async () => {
      await mate?.stop();
    });

    it('a writer\'s modified client cannot write .git/config or through a link; the panel shows the refusal and who tried', async () => {
      mkdirSync(join(root(), '.git'), { recursive: true });
      writeFileSync(join(root(), '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n');
      const before = hash(join(root(), '.git', 'config'));
      const outside = mkdtempSync(join(tmpdir(), 'weft-outside-'));
      symlinkSync(outside, join(root(), 'link'));
      // The modified client: a commit made through the protocol API, sent over a channel of its own.
      const env = craftCreates(mate!.node.replica, key, [{ path: '.git/config', text: '[core]\n\tfsmonitor = "touch /tmp/weft-pwned"\n' }]);
      const through = craftCreates(mate!.node.replica, key, [{ path: 'link/x.txt', text: 'through the link\n' }]);
      const channel = await mate!.transport.openChannel(session.transport.publicKey, PUBSUB_PROTOCOL);
      await channel.send(encodeWire({ type: 'hello', role: 'peer', software: 'weft-test-hostile' }));
      await channel.send(encodeWire({ type: 'subscribe', topics: session.replica.topicsNewestFirst() }));
      await channel.send(encodeWire({ type: 'event', commit: env.bytes }));
      await channel.send(encodeWire({ type: 'event', commit: through.bytes }));
      await until('the refusal', () => session.refusals.some((r) => r.reason === 'protected-path'), 30_000);
      await until('the link path to be in the share', () => session.replica.fileAt('link/x.txt') !== undefined, 30_000);
      await session.settled();
      await channel.close();
      assert.equal(hash(join(root(), '.git', 'config')), before, '.git/config is unchanged');
      assert.deepEqual(readdirSync(outside), [], 'nothing written through the link');
      const state = sessionPanelModel(session, {} as FollowMode).state()!;
      assert.ok(state.refusals.some((r) => r.author === 'Mallory' && /\.git\/config/.test(r.detail)), JSON.stringify(state.refusals));
      rmSync(join(root(), 'link'));
      rmSync(outside, { recursive: true, force: true });
    });

    it('a 20 MB paste into an open editor reaches the teammate whole', async () => {
      const uri = vscode.Uri.joinPath(folder, 'paste.md');
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('before\nafter\n'));
      await until('paste.md shared', () => mateText('paste.md') === 'before\nafter\n', 30_000);
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const paste = 'pasted line of text, 40 characters long\n'.repeat(500_000); // 20 MB
      await editor.edit((e) => e.insert(new vscode.Position(1, 0), paste));
      await until('the paste at the teammate', () => mateText('paste.md')?.length === 'before\nafter\n'.length + paste.length, 120_000);
      assert.equal(mateText('paste.md'), `before\n${paste}after\n`);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('edits made on disk while VS Code was closed merge line by line with a teammate\'s', async () => {
      writeFileSync(join(root(), 'merge.txt'), TEN);
      await until('merge.txt at the teammate', () => mateText('merge.txt') === TEN, 30_000);
      await api.pause(folder);
      const f = mate!.node.replica.fileAt('merge.txt') as FileId;
      mate!.node.replica.editHunks(f, [
        { offset: TEN.indexOf('line 2\n'), deleteCount: 6, insert: 'mate 2' },
        { offset: TEN.indexOf('line 8\n'), deleteCount: 6, insert: 'mate 8' },
      ]);
      await mate!.runtime.commit();
      writeFileSync(join(root(), 'merge.txt'), withLines({ 3: 'mine 3', 9: 'mine 9' }));
      session = (await api.resume(folder))!;
      const expected = withLines({ 2: 'mate 2', 3: 'mine 3', 8: 'mate 8', 9: 'mine 9' });
      await until('both sides merged', () => disk('merge.txt') === expected && mateText('merge.txt') === expected, 60_000);
    });

    it('an edit made while closed brings back a file the teammate deleted; a rename keeps the edit in one file', async () => {
      writeFileSync(join(root(), 'd.txt'), 'keep\n');
      writeFileSync(join(root(), 'r.txt'), 'rename me\n');
      await until('both at the teammate', () => mateText('d.txt') === 'keep\n' && mateText('r.txt') === 'rename me\n', 30_000);
      await api.pause(folder);
      const r = mate!.node.replica;
      r.deleteFile(r.fileAt('d.txt') as FileId);
      r.renameFile(r.fileAt('r.txt') as FileId, 'r-renamed.txt');
      await mate!.runtime.commit();
      writeFileSync(join(root(), 'd.txt'), 'keep\nedited while closed\n');
      writeFileSync(join(root(), 'r.txt'), 'rename me\nedited while closed\n');
      session = (await api.resume(folder))!;
      await until('the edits kept, in one file each', () => {
        return disk('d.txt') === 'keep\nedited while closed\n' && mateText('d.txt') === 'keep\nedited while closed\n' && disk('r-renamed.txt') === 'rename me\nedited while closed\n' && disk('r.txt') === undefined && mateText('r-renamed.txt') === 'rename me\nedited while closed\n';
      }, 60_000);
    });

    it('"Weft: Join…" into a folder that already holds files merges it: older copies updated, others kept beside', async () => {
      // A teammate's own share (a node of its own, no folder): same.txt, changed once since; own.txt.
      const ownerKey = newKey();
      const { node, shareKey } = await ShareNode.create(new MemoryLogStore(), 'theirs', ownerKey);
      const f = node.replica.createFile('same.txt', 'text', 'same\n');
      node.replica.createFile('own.txt', 'text', 'the sharer\'s own.txt\n');
      await node.commit();
      node.replica.edit(f, 5, 0, 'newer\n');
      node.replica.grant(session.replica.me.publicKey, 'writer', 'us');
      await node.commit();
      const owner = await startTeammate(ownerKey, node, [], node.replica.topicsNewestFirst());
      try {
        const invitation = invitationToText({
          shareId: shareKey.publicKey,
          name: 'theirs',
          topics: node.replica.topicsNewestFirst(),
          addresses: owner.transport.addresses().map((addr) => ({ role: 'peer' as const, addr })),
        });
        const joinDir = mkdtempSync(join(tmpdir(), 'weft-join-dst-'));
        writeFileSync(join(joinDir, 'same.txt'), 'same\n'); // an older copy of the share's file
        writeFileSync(join(joinDir, 'own.txt'), 'the joiner\'s own.txt\n'); // no common version
        await vscode.commands.executeCommand('weft.join', invitation, vscode.Uri.file(joinDir));
        await until('the join merged', () => {
          const names = readdirSync(joinDir);
          return readFileSync(join(joinDir, 'same.txt'), 'utf8') === 'same\nnewer\n' && names.some((n) => /^own \(conflict [0-9a-f]{8}\)\.txt$/.test(n));
        }, 60_000);
        assert.equal(readFileSync(join(joinDir, 'own.txt'), 'utf8'), 'the sharer\'s own.txt\n', 'the share\'s file keeps its path');
        const beside = readdirSync(joinDir).find((n) => n.includes('(conflict'))!;
        assert.equal(readFileSync(join(joinDir, beside), 'utf8'), 'the joiner\'s own.txt\n', 'the joiner\'s copy is kept beside');
        await until('the sharer holds both', () => node.replica.files().some((e) => e.path === beside), 30_000);
        assert.equal(node.replica.text(f), 'same\nnewer\n', 'the joiner\'s older copy did not replace the share\'s text');
        await vscode.commands.executeCommand('weft.stopSharing', vscode.Uri.file(joinDir));
      } finally {
        await owner.stop();
      }
    });
  });
}
