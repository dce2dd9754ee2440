/**
 * A reader who types (issue 14, finding 6), with real `weft peer run` and `weft broker`
 * processes: the reader appends a line to notes.md in its folder. Its text is kept beside
 * (`notes (not shared).md`), notes.md shows the share's text again, the log says so, and
 * the owner's next three edits keep arriving (while the reader's peer stays near idle:
 * the issue saw it spin at 40% of a core on a file it would never write again). After a
 * restart the reader's line is neither dropped from its disk nor shared.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { append, brokerSuite, folders, makeShare, PeerProc, readTextFiles, waitConverged, waitUntil } from './peer-procs.js';
import { cpuSeconds } from './process-memory.js';

describe('net/a reader who types: the edit is kept beside, teammates\' edits keep arriving (issue 14)', function () {
  this.timeout(180_000);
  const suite = brokerSuite('reader-types');

  it('keeps the reader\'s line beside notes.md, writes the share\'s text back, receives three more edits, and keeps it all across a restart', async () => {
    const [owner, reader] = folders(suite.root, ['owner', 'reader']) as [string, string];
    let shared = '# notes\nfirst line\n';
    writeFileSync(join(owner, 'notes.md'), shared);
    await makeShare(owner, [reader], ['--broker', suite.broker.tcp], { [reader]: 'reader' });
    const po = await PeerProc.run(owner);
    let pr = await PeerProc.run(reader);
    await waitConverged([owner, reader], 60_000, (f) => f.get('notes.md') === shared, [po, pr]);

    const mine = `${shared}the reader's own line\n`;
    append(reader, 'notes.md', 'the reader\'s own line\n');
    const beside = join(reader, 'notes (not shared).md');
    await waitUntil(() => existsSync(beside) && readFileSync(join(reader, 'notes.md'), 'utf8') === shared, 30_000, () => `the reader's edit was not kept beside:\n${pr.out}`);
    assert.equal(readFileSync(beside, 'utf8'), mine, 'the reader\'s text, whole, beside the file');
    assert.match(pr.out, /^you are a reader of this share: your edit of notes\.md is not shared; it is kept in notes \(not shared\)\.md, and notes\.md shows the share's text again$/m);

    // Three more edits by the owner, one after the other: each reaches the reader's notes.md.
    const cpuBefore = cpuSeconds(pr.proc.pid);
    const wallBefore = Date.now();
    for (let i = 1; i <= 3; i++) {
      shared += `owner's edit ${i}\n`;
      writeFileSync(join(owner, 'notes.md'), shared);
      await waitUntil(() => readFileSync(join(reader, 'notes.md'), 'utf8') === shared, 30_000, () => `the owner's edit ${i} did not reach the reader:\n${pr.out}`);
    }
    const cpuAfter = cpuSeconds(pr.proc.pid);
    if (cpuBefore !== undefined && cpuAfter !== undefined) {
      const share = (cpuAfter - cpuBefore) / ((Date.now() - wallBefore) / 1000);
      assert.ok(share < 0.3, `the reader's peer used ${(share * 100).toFixed(0)}% of a core while three small edits arrived`);
    }
    assert.equal(readFileSync(beside, 'utf8'), mine, 'the kept copy is left alone');

    // A restart neither drops the reader's line nor shares it.
    assert.equal(await pr.stop(), 0);
    pr = await PeerProc.run(reader);
    shared += 'owner\'s edit after the restart\n';
    writeFileSync(join(owner, 'notes.md'), shared);
    await waitUntil(() => readFileSync(join(reader, 'notes.md'), 'utf8') === shared, 30_000, () => `the reader did not catch up after its restart:\n${pr.out}`);
    assert.equal(readFileSync(beside, 'utf8'), mine, 'the reader\'s line is still on its disk');
    const ownerFiles = await readTextFiles(owner);
    assert.deepEqual([...ownerFiles.keys()], ['notes.md'], 'nothing of the reader\'s reached the owner');
    assert.equal(ownerFiles.get('notes.md'), shared);
    assert.doesNotMatch(po.out, /^merged/m, 'the owner merged nothing (a reader commits nothing)');
    assert.equal(await pr.stop(), 0);
    assert.equal(await po.stop(), 0);
  });
});
