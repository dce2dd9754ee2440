/**
 * Presence inside the real extension host: a teammate (an in-process PeerRuntime over
 * loopback) sets presence; our editors show their cursor, selection and name at the
 * right ranges (read through the test API: VS Code cannot read decorations back), and
 * those follow edits on either side; the panel model says where they are and how they are
 * connected (the status bar too); our own
 * selection reaches them; "Weft: Follow…" keeps our view on their editor.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { publicKeyToText, toHex } from '../../../protocol/src/index.js';
import { invitationFromText } from '../../../protocol/src/share/invitation.js';
import { resolvePresenceSelections, toPresenceSelections, type OffsetSelection } from '../../../extension/presence/presence-ranges.js';
import type { FollowMode } from '../../../extension/presence/follow-mode.js';
import type { ShareSession } from '../../../extension/session/share-session.js';
import type { WeftTestApi } from '../../../extension/test-api.js';
import { sessionPanelModel } from '../../../extension/ui/panel-model.js';
import { newKey, openEmptyNode, startTeammate, until, weftApi, type Teammate } from './weft-api.js';

const enc = new TextEncoder();

export function presenceSuite(): void {
  describe('extension host: teammates\' cursors, where they are, and Follow', function () {
    this.timeout(120_000);
    let api: WeftTestApi;
    let session: ShareSession;
    let mate: Teammate | undefined;
    let mateHex = '';
    let folder: vscode.Uri;
    const PATH = 'presence.txt';

    /** The teammate says they are in `path` with these selections (offsets in their replica). */
    async function mateAt(path: string, selections: OffsetSelection[]): Promise<void> {
      const r = mate!.node.replica;
      const file = r.fileAt(path);
      await mate!.runtime.setPresence(path, file ? toPresenceSelections(r.document(file), selections) : []);
    }
    const mateShown = () => api.remoteCursors().filter((c) => c.member === mateHex);

    before(async () => {
      api = await weftApi();
      session = api.session()!;
      assert.ok(session, 'the share suite ran first');
      folder = vscode.workspace.workspaceFolders![0]!.uri;
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, PATH), enc.encode('alpha\nbravo charlie\ndelta\n'));
      const key = newKey();
      mateHex = toHex(key.publicKey);
      await vscode.commands.executeCommand('weft.grantAccess', publicKeyToText(key.publicKey), 'writer', 'Pia');
      const inv = invitationFromText(session.invitation());
      mate = await startTeammate(key, await openEmptyNode(inv.shareId, key), inv.addresses, inv.topics);
      await until('the teammate to join and receive presence.txt', () => {
        const f = mate!.node.replica.fileAt(PATH);
        return f !== undefined && mate!.node.replica.text(f) === 'alpha\nbravo charlie\ndelta\n' && session.replica.fileAt(PATH) === f;
      });
    });

    after(async () => {
      await vscode.commands.executeCommand('weft.stopFollowing');
      await mate?.stop();
    });

    it('shows the teammate\'s cursor, selection and name at the ranges their presence names; the panel says file and line', async () => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, PATH));
      await vscode.window.showTextDocument(doc);
      await mateAt(PATH, [{ anchor: 6, active: 11 }]); // "bravo", cursor after it
      await until('the teammate\'s cursor in our editor', () => mateShown().some((c) => c.cursor.offset === 11));
      const shown = mateShown()[0]!;
      assert.equal(shown.path, PATH);
      assert.equal(shown.name, 'teammate', 'the display name the teammate announces (the owner granted "Pia")');
      assert.deepEqual(shown.cursor, { offset: 11, line: 1, character: 5 });
      assert.deepEqual(shown.selections, [{ start: 6, end: 11 }]);
      assert.match(shown.colour, /^hsl\(/);
      assert.equal(shown.uri, doc.uri.toString());
      const state = sessionPanelModel(session, {} as FollowMode).state()!;
      const pia = state.members.find((m) => m.name === 'Pia');
      assert.ok(pia?.online, 'the panel shows the teammate online');
      assert.deepEqual(pia.location, { path: PATH, line: 1 }, 'the panel shows file and (0-based) line');
      // The teammate dialled the invitation's address (loopback): a direct connection, said so in the panel and the status bar.
      assert.deepEqual(pia.connection, { how: 'direct', text: 'direct' }, 'the panel says how the teammate is connected');
      assert.match(api.statusText(), / online \(\d+ direct/, 'the status bar counts the teammate as direct');
    });

    it('keeps their cursor on the same text through local and remote edits, never past the end', async () => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, PATH));
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'zero\n')); // local edit before their selection
      await until('their cursor to move with our edit', () => mateShown().some((c) => c.cursor.offset === 16));
      assert.equal(doc.getText().slice(mateShown()[0]!.selections[0]!.start, mateShown()[0]!.selections[0]!.end), 'bravo');
      await session.settled();
      const remote = mate!.node.replica;
      const file = remote.fileAt(PATH)!;
      await until('the teammate to hold our edit', () => remote.text(file) === doc.getText());
      remote.edit(file, 0, 0, 'remote ');
      await mate!.runtime.commit();
      await until('their cursor to move with their own edit', () => doc.getText().startsWith('remote zero') && mateShown().some((c) => c.cursor.offset === 23));
      assert.equal(doc.getText().slice(mateShown()[0]!.selections[0]!.start, mateShown()[0]!.selections[0]!.end), 'bravo');
      // They delete everything from their selection on: the cursor stays inside the document.
      const at = remote.text(file).indexOf('bravo');
      remote.edit(file, at, remote.text(file).length - at, '');
      await mate!.runtime.commit();
      await until('the deletion in our editor', () => doc.getText() === remote.text(file));
      await until('their cursor at the end, not past it', () => mateShown().some((c) => c.cursor.offset === doc.getText().length && c.selections.length === 0));
      for (const c of api.remoteCursors()) assert.ok(c.cursor.offset <= doc.getText().length);
      // Put the text back for the next tests.
      remote.edit(file, remote.text(file).length, 0, 'bravo charlie\ndelta\n');
      await mate!.runtime.commit();
      await until('the restored text in our editor', () => doc.getText() === remote.text(file));
    });

    it('removes their decorations when they close the file, and shows them again when they return', async () => {
      await mateAt('', []);
      await until('their decorations to go', () => mateShown().length === 0);
      const state = sessionPanelModel(session, {} as FollowMode).state()!;
      assert.equal(state.members.find((m) => m.name === 'Pia')?.location, undefined);
      const text = mate!.node.replica.text(mate!.node.replica.fileAt(PATH)!);
      await mateAt(PATH, [{ anchor: text.indexOf('delta'), active: text.indexOf('delta') }]);
      await until('their cursor back on "delta"', () => mateShown().some((c) => c.cursor.line === 3 && c.cursor.character === 0));
    });

    it('sends our file and selection to the teammate, and nothing when no shared file is focused', async () => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, PATH));
      const editor = await vscode.window.showTextDocument(doc);
      await session.settled();
      const remote = mate!.node.replica;
      const file = remote.fileAt(PATH)!;
      await until('the teammate to hold our text', () => remote.text(file) === doc.getText());
      const from = doc.getText().indexOf('charlie');
      editor.selection = new vscode.Selection(doc.positionAt(from), doc.positionAt(from + 7));
      const ours = () => mate!.runtime.presence().find((e) => e.memberHex === session.replica.meHex);
      await until('our selection at the teammate', () => {
        const p = ours();
        if (p?.presence.file !== PATH) return false;
        const r = resolvePresenceSelections(remote.document(file), p.presence.selections, remote.text(file).length);
        return r.selections.length === 1 && r.selections[0]!.anchor === from && r.selections[0]!.active === from + 7;
      });
      const untitled = await vscode.workspace.openTextDocument({ content: 'not shared' });
      await vscode.window.showTextDocument(untitled);
      await until('our presence to say no file', () => ours()?.presence.file === '');
    });

    it('a cursor on characters whose commit has not arrived keeps its place until the commit does', async () => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, PATH));
      await vscode.window.showTextDocument(doc);
      const remote = mate!.node.replica;
      const file = remote.fileAt(PATH)!;
      await mateAt(PATH, [{ anchor: 0, active: 0 }]);
      await until('their cursor at the start', () => mateShown().some((c) => c.cursor.offset === 0));
      remote.edit(file, 0, 0, 'new words '); // typed, not committed yet
      await mateAt(PATH, [{ anchor: 10, active: 10 }]); // after the new words
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(mateShown().map((c) => c.cursor.offset), [0], 'the last rendering stays meanwhile');
      await mate!.runtime.commit();
      await until('their cursor after the new words', () => doc.getText().startsWith('new words ') && mateShown().some((c) => c.cursor.offset === 10));
    });

    it('"Weft: Follow…" opens the teammate\'s file and follows their cursor; typing stops it; so does "Stop Following"', async () => {
      const text = (p: string) => mate!.node.replica.text(mate!.node.replica.fileAt(p)!);
      await mateAt(PATH, [{ anchor: text(PATH).indexOf('charlie'), active: text(PATH).indexOf('charlie') }]);
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: 'elsewhere' }));
      assert.notEqual(vscode.window.activeTextEditor?.document.uri.path.endsWith(PATH), true, 'another editor is active');
      assert.equal(await vscode.commands.executeCommand('weft.follow', publicKeyToText(mate!.me.publicKey)), true);
      await until('the followed file to be active', () => vscode.window.activeTextEditor?.document.uri.path.endsWith(`/${PATH}`) === true);
      assert.equal(api.following()?.name, 'teammate');
      assert.equal(api.following()?.statusText, '$(eye) Following teammate');
      // They move to another file, far down: our view goes with them.
      const long = Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n');
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'long.txt'), enc.encode(long));
      await until('long.txt at the teammate', () => mate!.node.replica.fileAt('long.txt') !== undefined && text('long.txt') === long);
      await mateAt('long.txt', [{ anchor: long.indexOf('line 250'), active: long.indexOf('line 250') }]);
      await until('our view on long.txt line 250', () => {
        const e = vscode.window.activeTextEditor;
        return e?.document.uri.path.endsWith('/long.txt') === true && e.visibleRanges.some((r) => r.start.line <= 250 && r.end.line >= 250);
      });
      assert.equal(api.following()?.name, 'teammate', 'still following after a jump');
      await mateAt('long.txt', [{ anchor: long.indexOf('line 20\n'), active: long.indexOf('line 20\n') }]);
      await until('our view on line 20', () => vscode.window.activeTextEditor?.visibleRanges.some((r) => r.start.line <= 20 && r.end.line >= 20) === true);
      // We type: following stops, and their next move does not take our view.
      const editor = vscode.window.activeTextEditor!;
      await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'mine '));
      await until('following to stop when we type', () => api.following() === undefined);
      await mateAt(PATH, [{ anchor: 0, active: 0 }]);
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(vscode.window.activeTextEditor?.document.uri.path.endsWith('/long.txt'), 'not following any more');
      // Follow again and stop explicitly.
      assert.equal(await vscode.commands.executeCommand('weft.follow', mateHex), true);
      await until('the followed file to be active again', () => vscode.window.activeTextEditor?.document.uri.path.endsWith(`/${PATH}`) === true);
      await vscode.commands.executeCommand('weft.stopFollowing');
      assert.equal(api.following(), undefined);
      await mateAt('long.txt', [{ anchor: 0, active: 0 }]);
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(vscode.window.activeTextEditor?.document.uri.path.endsWith(`/${PATH}`), 'stopped: our view stays');
    });

    it('when the teammate leaves, following stops and their decorations go', async () => {
      await mateAt(PATH, [{ anchor: 1, active: 1 }]);
      assert.equal(await vscode.commands.executeCommand('weft.follow', mateHex), true);
      await until('their cursor shown', () => mateShown().length > 0);
      await mate!.stop();
      mate = undefined;
      // Their 'leaving' presence usually arrives at once; when it is lost (PeerRuntime.stop
      // closes channels without awaiting that frame) their entry expires after
      // PRESENCE_TTL_MS (30 s, checked every 10 s): both count as leaving.
      await until('following to stop when they leave', () => api.following() === undefined, 45_000);
      await until('their decorations to go', () => mateShown().length === 0);
    });
  });
}
