/**
 * The mirror's records on disk survive a crash at any byte: a torn last line is cut,
 * a rewrite interrupted before the journal is emptied replays to the same state.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileId } from '../../../protocol/src/share/manifest.js';
import { MirrorRecords, type MirrorRecord } from '../../../protocol/mirror/mirror-records.js';
import { NodeRecordJournal } from '../../../protocol/mirror/node-record-journal.js';

const F1 = '1'.repeat(32) as FileId;
const F2 = '2'.repeat(32) as FileId;

function rec(path: string, file: FileId, hash: string): MirrorRecord {
  return { path, file, kind: 'text', hash, size: 3, mtimeMs: 7, version: { abc: 3 } };
}

describe('mirror/records on disk', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'weft-records-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reloads what was committed, a file\'s move replacing its old path', async () => {
    const a = await MirrorRecords.open(new NodeRecordJournal(dir));
    await a.commit([{ set: rec('a.txt', F1, 'h1') }, { set: rec('b.txt', F2, 'h2') }]);
    await a.commit([{ set: rec('moved.txt', F1, 'h1') }, { forget: 'b.txt' }]);
    await a.close();
    const b = await MirrorRecords.open(new NodeRecordJournal(dir));
    assert.deepEqual(b.all().map((r) => r.path), ['moved.txt']);
    assert.equal(b.ofFile(F1)?.path, 'moved.txt');
    await b.close();
  });

  it('cuts a torn last line and keeps appending after it', async () => {
    const a = await MirrorRecords.open(new NodeRecordJournal(dir));
    await a.commit([{ set: rec('a.txt', F1, 'h1') }]);
    await a.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"set":{"path":"torn.txt","fi');
    const b = await MirrorRecords.open(new NodeRecordJournal(dir));
    assert.deepEqual(b.all().map((r) => r.path), ['a.txt']);
    await b.commit([{ set: rec('c.txt', F2, 'h3') }]);
    await b.close();
    const c = await MirrorRecords.open(new NodeRecordJournal(dir));
    assert.deepEqual(c.all().map((r) => r.path).sort(), ['a.txt', 'c.txt']);
    await c.close();
  });

  it('rewrites the journal into records.json once it grows, and a replay after an interrupted rewrite gives the same state', async () => {
    const a = await MirrorRecords.open(new NodeRecordJournal(dir));
    for (let i = 0; i < 1200; i++) await a.commit([{ set: rec('a.txt', F1, `h${i}`) }]);
    await a.close();
    assert.ok(statSync(join(dir, 'journal.jsonl')).size < 100_000, 'the journal was emptied by a rewrite');
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    // As if the rewrite's journal truncation never happened: every change replayed again on records.json.
    appendFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify({ set: rec('a.txt', F1, 'h5') })}\n${journal}`);
    const b = await MirrorRecords.open(new NodeRecordJournal(dir));
    assert.equal(b.at('a.txt')?.hash, 'h1199');
    await b.close();
  });
});
