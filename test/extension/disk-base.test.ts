import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskBase } from '../../extension/workspace/disk-base.js';

describe('extension: disk base (what disk and share last agreed on, kept across sessions)', () => {
  it('keeps texts across a reload, deletes too, and writes atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-base-'));
    const a = await DiskBase.load(dir);
    assert.equal(a.get('notes.md'), undefined);
    a.set('notes.md', '# Plan\r\nü\n');
    a.set('old.txt', 'x');
    a.delete('old.txt');
    await a.flush();
    assert.deepEqual(readdirSync(dir), ['disk-base.json'], 'no temporary file left');
    const b = await DiskBase.load(dir);
    assert.equal(b.get('notes.md'), '# Plan\r\nü\n');
    assert.equal(b.get('old.txt'), undefined);
  });

  it('an unreadable or foreign file is an empty base, reported, never a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-base-'));
    writeFileSync(join(dir, 'disk-base.json'), '{"version":1,"files":{"a":"ok","b":7');
    const logs: string[] = [];
    const base = await DiskBase.load(dir, (l) => logs.push(l));
    assert.equal(base.get('a'), undefined);
    assert.match(logs.join(), /unreadable/);
    writeFileSync(join(dir, 'disk-base.json'), JSON.stringify({ version: 1, files: { a: 'ok', b: 7 } }));
    const typed = await DiskBase.load(dir);
    assert.equal(typed.get('a'), 'ok');
    assert.equal(typed.get('b'), undefined, 'a non-text entry is ignored');
    typed.set('c', 'new');
    await typed.flush();
    assert.equal(JSON.parse(readFileSync(join(dir, 'disk-base.json'), 'utf8')).files.c, 'new');
  });
});
