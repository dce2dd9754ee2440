/**
 * ObjectFiles, on disk and in memory: the acceptance suite for both, and what only the
 * disk has (links, temporary names, permission bits).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMP_MARK } from '../../../protocol/src/ports/object-files.js';
import { MemoryObjectFiles } from '../../../protocol/storage/memory-object-files.js';
import { NodeObjectFiles } from '../../../protocol/storage/node-object-files.js';
import { objectFilesAcceptance, patternBytes } from './object-files-acceptance.js';

objectFilesAcceptance('NodeObjectFiles', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-object-files-'));
  return {
    files: new NodeObjectFiles(),
    path: (n = 0) => join(dir, `file-${n}.bin`),
    put: (path, bytes) => writeFile(path, bytes),
    leftovers: async () => readdirSync(dir).filter((name) => name.includes(TEMP_MARK)),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

objectFilesAcceptance('MemoryObjectFiles', async () => {
  const files = new MemoryObjectFiles();
  return {
    files,
    path: (n = 0) => `folder/file-${n}.bin`,
    put: async (path, bytes) => void files.files.set(path, bytes.slice()),
    leftovers: async () => (files.pendingSinks > 0 ? [`${files.pendingSinks} sink(s) neither committed nor discarded`] : []),
    cleanup: async () => {},
  };
});

describe('NodeObjectFiles on a real disk', () => {
  let dir: string;
  const files = new NodeObjectFiles();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-object-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never reads through a link at the path', async () => {
    writeFileSync(join(dir, 'secret'), 'outside');
    symlinkSync(join(dir, 'secret'), join(dir, 'link.bin'));
    await assert.rejects(async () => {
      for await (const _ of files.read(join(dir, 'link.bin'))) assert.fail('read through a link');
    }, /ELOOP|symbolic link/);
  });

  it('writes beside the target under a temporary name that a folder never lists', async () => {
    const sink = await files.create(join(dir, 'photo.png'));
    await sink.write(patternBytes(10, 1));
    const names = readdirSync(dir);
    assert.equal(names.length, 1);
    assert.ok(names[0]!.startsWith('photo.png') && names[0]!.includes(TEMP_MARK), names[0]);
    await sink.commit();
    assert.deepEqual(readdirSync(dir), ['photo.png']);
  });

  it('keeps the permission bits of the file it replaces', async function () {
    if (process.platform === 'win32') this.skip();
    const path = join(dir, 'tool');
    writeFileSync(path, 'v1');
    chmodSync(path, 0o755);
    const sink = await files.create(path);
    await sink.write(patternBytes(10, 2));
    await sink.commit();
    assert.equal(statSync(path).mode & 0o777, 0o755);
  });
});
