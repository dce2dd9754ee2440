/**
 * A real folder on disk: never through a link (to a folder or a file, made before or
 * after a file was first written), never outside the folder, never `.git/` or `.weft/`,
 * atomic writes that keep permission bits, renames that never clobber.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsafePathError } from '../../../protocol/mirror/folder.js';
import { NodeFolder } from '../../../protocol/mirror/node-folder.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('mirror/node folder', () => {
  let base: string;
  let root: string;
  let outside: string;
  let folder: NodeFolder;
  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'weft-folder-'));
    root = join(base, 'share');
    outside = join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    folder = await NodeFolder.open(root);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const refused = (reason: string) => (e: unknown) => e instanceof UnsafePathError && e.reason === reason;

  it('writes atomically, creates folders, reads, lists, renames without clobbering, removes empty folders', async () => {
    await folder.write('a/b/c.txt', enc.encode('hello'));
    assert.equal(readFileSync(join(root, 'a/b/c.txt'), 'utf8'), 'hello');
    assert.equal(dec.decode(await folder.read('a/b/c.txt')), 'hello');
    await folder.write('d.txt', enc.encode('d'));
    assert.deepEqual([...(await folder.list()).keys()].sort(), ['a/b/c.txt', 'd.txt']);
    assert.equal(await folder.rename('d.txt', 'a/b/c.txt'), false, 'never over an existing file');
    assert.equal(await folder.rename('d.txt', 'e/d.txt'), true);
    await folder.remove('a/b/c.txt');
    assert.equal(existsSync(join(root, 'a')), false, 'empty folders go with their last file');
    assert.deepEqual(readdirSync(root).filter((n) => n.includes('.weft-tmp-')), [], 'no temporary file left');
  });

  it('keeps an existing file\'s permission bits (an executable script stays executable)', async () => {
    writeFileSync(join(root, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(root, 'run.sh'), 0o755);
    await folder.write('run.sh', enc.encode('#!/bin/sh\necho hi\n'));
    assert.equal(statSync(join(root, 'run.sh')).mode & 0o777, 0o755);
  });

  it('never writes, reads or lists through a link to a folder outside', async () => {
    symlinkSync(outside, join(root, 'link'));
    await assert.rejects(folder.write('link/x.txt', enc.encode('escape')), refused('link'));
    await assert.rejects(folder.read('link/secret'), refused('link'));
    assert.equal(existsSync(join(outside, 'x.txt')), false, 'nothing written outside');
    writeFileSync(join(outside, 'seen.txt'), 'outside');
    assert.deepEqual([...(await folder.list()).keys()], [], 'a link is not listed, nor what it points to');
  });

  it('never replaces or writes through a link to a file', async () => {
    writeFileSync(join(outside, 'target.txt'), 'outside text');
    symlinkSync(join(outside, 'target.txt'), join(root, 'f.txt'));
    await assert.rejects(folder.write('f.txt', enc.encode('x')), refused('link'));
    await assert.rejects(folder.read('f.txt'), refused('link'));
    await assert.rejects(folder.remove('f.txt'), refused('link'));
    assert.equal(readFileSync(join(outside, 'target.txt'), 'utf8'), 'outside text');
    assert.ok(lstatSync(join(root, 'f.txt')).isSymbolicLink(), 'the member\'s link is still there');
  });

  it('refuses a folder that became a link after a file was first written in it', async () => {
    await folder.write('sub/one.txt', enc.encode('1'));
    rmSync(join(root, 'sub'), { recursive: true });
    symlinkSync(outside, join(root, 'sub'));
    await assert.rejects(folder.write('sub/two.txt', enc.encode('2')), refused('link'));
    assert.deepEqual(readdirSync(outside), []);
  });

  it('refuses Git\'s and Weft\'s folders in every spelling, and never lists them', async () => {
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.git', 'config'), '[core]\n');
    for (const p of ['.git/config', '.GIT/config', 'sub/.git/hooks/pre-commit', '.weft/identity']) {
      await assert.rejects(folder.write(p, enc.encode('x')), refused('protected'), p);
    }
    assert.equal(readFileSync(join(root, '.git', 'config'), 'utf8'), '[core]\n');
    assert.deepEqual([...(await folder.list()).keys()], []);
  });
});
