/**
 * Binary files in the real extension host: the workspace's share and an in-process
 * teammate (own chunk store) exchange binary files as encrypted chunks, both ways,
 * bit-identical; concurrent versions stay visible as conflict copies; a multi-MB
 * fetch reports progress (in a notification); a new share includes the folder's
 * binary files (and text too large to share as text), honouring .gitignore.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { decodeObjectRef, encodeObjectRef } from '../../../protocol/src/chunks/index.js';
import { publicKeyToText, type FileId } from '../../../protocol/src/index.js';
import { invitationFromText } from '../../../protocol/src/share/invitation.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import type { ShareSession } from '../../../extension/session/share-session.js';
import type { BinaryTransferReport } from '../../../extension/workspace/binary-progress.js';
import { newKey, openEmptyNode, startTeammate, until, weftApi, type Teammate } from './weft-api.js';

/** Bytes that are surely binary: a PNG signature (with its NUL-free header) then a NUL and random bytes. */
function binaryBytes(size: number): Buffer {
  const b = Buffer.from(randomBytes(size));
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]).copy(b);
  return b;
}

function readDisk(full: string): Buffer | undefined {
  try {
    return readFileSync(full);
  } catch {
    return undefined;
  }
}

export function binarySuite(): void {
  describe('extension host: binary files', function () {
    this.timeout(180_000);
    let mate: Teammate | undefined;
    let session: ShareSession;
    let folder: vscode.Uri;
    const chunks = new MemoryChunkStore();
    let key: ReturnType<typeof newKey>;
    let inv: ReturnType<typeof invitationFromText>;
    const disk = (path: string) => readDisk(join(folder.fsPath, ...path.split('/')));

    /** The teammate's copy of a binary file's main version (fetched from us if needed). */
    async function mateBytes(path: string): Promise<Buffer> {
      const r = mate!.node.replica;
      const v = r.binaryVersions(r.fileAt(path)!)[0]!;
      const ref = decodeObjectRef(v.ref);
      await mate!.runtime.fetchObject(ref, { timeoutMs: 20_000 });
      const parts: Uint8Array[] = [];
      for await (const p of mate!.runtime.readObject(ref)) parts.push(p);
      return Buffer.concat(parts);
    }

    async function mateWrites(path: string, bytes: Buffer): Promise<void> {
      const r = mate!.node.replica;
      const ref = await mate!.runtime.storeObject(bytes);
      const file = r.fileAt(path) ?? r.createFile(path, 'binary');
      r.setBinary(file, encodeObjectRef(ref));
      await mate!.runtime.commit();
    }

    before(async () => {
      const api = await weftApi();
      session = api.session()!;
      assert.ok(session, 'the share suite ran first');
      folder = session.folder;
      key = newKey();
      await vscode.commands.executeCommand('weft.grantAccess', publicKeyToText(key.publicKey), 'writer', 'Bina', folder);
      inv = invitationFromText(session.invitation());
      mate = await startTeammate(key, await openEmptyNode(inv.shareId, key), inv.addresses, inv.topics, chunks);
      await until('the teammate to join', () => mate!.node.replica.fileAt('notes.txt') !== undefined && mate!.node.replica.myRole() === 'writer', 30_000);
    });

    after(async () => {
      await mate?.stop();
    });

    it('a binary file written into the folder reaches the teammate bit-identical', async () => {
      const bytes = binaryBytes(300_000);
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'img', 'logo.png'), bytes);
      await until('the teammate to see img/logo.png', () => {
        const f = mate!.node.replica.fileAt('img/logo.png');
        return f !== undefined && mate!.node.replica.binaryVersions(f).length === 1;
      }, 30_000);
      const entry = session.replica.files().find((e) => e.path === 'img/logo.png');
      assert.equal(entry?.kind, 'binary');
      assert.ok((await mateBytes('img/logo.png')).equals(bytes), 'the teammate reads the same bytes');
    });

    it("the teammate's new binary file appears on disk bit-identical; a rename and a delete follow", async () => {
      const bytes = binaryBytes(200_000);
      await mateWrites('from-mate.bin', bytes);
      await until('from-mate.bin on disk', () => disk('from-mate.bin')?.equals(bytes) === true, 30_000);
      // Our rename (the same file, moved) and delete on disk reach the teammate.
      await until('from-mate.bin synced here', async () => {
        await session.settled();
        return session.replica.fileAt('from-mate.bin') !== undefined;
      });
      const id = mate!.node.replica.fileAt('from-mate.bin');
      await vscode.workspace.fs.rename(vscode.Uri.joinPath(folder, 'from-mate.bin'), vscode.Uri.joinPath(folder, 'moved.bin'));
      await until('the teammate to see the rename', () => mate!.node.replica.fileAt('moved.bin') !== undefined && mate!.node.replica.fileAt('from-mate.bin') === undefined, 30_000);
      assert.equal(mate!.node.replica.fileAt('moved.bin'), id, 'a rename, not a delete and an add');
      assert.ok((await mateBytes('moved.bin')).equals(bytes));
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder, 'moved.bin'));
      await until('the teammate to see the delete', () => mate!.node.replica.fileAt('moved.bin') === undefined, 30_000);
    });

    it('a multi-MB fetch reports progress in a notification', async () => {
      const seen: BinaryTransferReport[] = [];
      const sub = session.binaries!.onDidTransfer((e) => {
        if (e.path === 'big.bin') seen.push(e);
      });
      try {
        const bytes = binaryBytes(6 * 1024 * 1024);
        await mateWrites('big.bin', bytes);
        await until('big.bin on disk', () => disk('big.bin')?.equals(bytes) === true, 60_000);
        const states = seen.map((e) => e.state);
        assert.equal(states[0], 'start', states.join());
        assert.ok(states.includes('done'), states.join());
        assert.ok(seen.every((e) => e.shownIn === 'notification' && e.bytesTotal === bytes.length));
        assert.ok(seen.some((e) => e.state === 'progress' && e.bytesDone > 0 && e.bytesDone < e.bytesTotal), `progress between 0 and the total: ${seen.map((e) => `${e.state}:${e.bytesDone}`).join(' ')}`);
      } finally {
        sub.dispose();
      }
    });

    it('concurrent changes keep both versions visible (a conflict copy)', async () => {
      const path = 'img/logo.png';
      const file = session.replica.fileAt(path) as FileId;
      const before = session.replica.binaryVersions(file)[0]!.ref;
      // The teammate goes offline and changes the file there.
      await mate!.runtime.stop();
      await mate!.transport.stop();
      const theirs = binaryBytes(120_000);
      const ref = await mate!.runtime.storeObject(theirs);
      mate!.node.replica.setBinary(file, encodeObjectRef(ref));
      await mate!.node.commit();
      // Meanwhile we change it here.
      const ours = binaryBytes(110_000);
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'img', 'logo.png'), ours);
      await until('our change to be committed', async () => {
        await session.settled();
        const v = session.replica.binaryVersions(file);
        return v.length === 1 && Buffer.compare(Buffer.from(v[0]!.ref), Buffer.from(before)) !== 0 && session.replica.stagedCount === 0;
      }, 30_000);
      // The teammate comes back.
      mate = await startTeammate(key, mate!.node, inv.addresses, inv.topics, chunks);
      const copyName = () => readdirSync(join(folder.fsPath, 'img')).find((n) => /^logo \(conflict [0-9a-f]{8}\)\.png$/.test(n));
      await until('both versions on disk', () => {
        const copy = copyName();
        if (!copy || session.replica.binaryVersions(file).length !== 2) return false;
        const pair = [disk(path), disk(`img/${copy}`)];
        return pair.some((b) => b?.equals(ours)) && pair.some((b) => b?.equals(theirs));
      }, 60_000);
      // The conflict copy is a view: never shared.
      assert.equal(session.replica.fileAt(`img/${copyName()!}`), undefined);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(session.replica.files().filter((e) => e.path.includes('(conflict')).length, 0);
      // Saving the file again ends the conflict; the copy goes away.
      const merged = binaryBytes(90_000);
      writeFileSync(join(folder.fsPath, 'img', 'logo.png'), merged);
      await until('one version again, everywhere', async () => {
        return session.replica.binaryVersions(file).length === 1 && mate!.node.replica.binaryVersions(file).length === 1 && copyName() === undefined;
      }, 30_000);
      assert.ok((await mateBytes(path)).equals(merged));
    });

    it('a new share includes the binary files and large text files (as text), honouring .gitignore', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-binary-share-'));
      const png = binaryBytes(50_000);
      writeFileSync(join(dir, 'pic.png'), png);
      writeFileSync(join(dir, 'readme.txt'), 'hello\n');
      // Text is text at any size (split into commits); only new files above 8 MB are binary.
      writeFileSync(join(dir, 'large.txt'), 'x'.repeat(600 * 1024));
      writeFileSync(join(dir, '.gitignore'), '*.bin\n');
      writeFileSync(join(dir, 'secret.bin'), binaryBytes(1000));
      const other = vscode.Uri.file(dir);
      const api = await weftApi();
      await vscode.commands.executeCommand('weft.shareFolder', other);
      try {
        const s = api.session(other)!;
        await s.settled();
        const kinds = Object.fromEntries(s.replica.files().map((e) => [e.path, e.kind]));
        assert.deepEqual(kinds, { '.gitignore': 'text', 'large.txt': 'text', 'pic.png': 'binary', 'readme.txt': 'text' });
        assert.equal(s.replica.text(s.replica.fileAt('large.txt')!).length, 600 * 1024);
        assert.equal(s.replica.binaryVersions(s.replica.fileAt('pic.png')!).length, 1);
        assert.equal(decodeObjectRef(s.replica.binaryVersions(s.replica.fileAt('pic.png')!)[0]!.ref).size, png.length);
      } finally {
        await vscode.commands.executeCommand('weft.stopSharing', other);
      }
    });
  });
}
