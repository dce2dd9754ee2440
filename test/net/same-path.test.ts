/**
 * Two or three members create the same path (issue 14, finding 3), with real `weft peer
 * run` and `weft broker` processes: every version stays in the share, every folder ends
 * byte-identical, and the versions that lost the path sit beside it under
 * `name (conflict xxxxxxxx).ext`, the same names on every disk. A conflict file is an
 * ordinary file: edited, the edit reaches everyone; deleted, it goes everywhere and does
 * not come back; a member who joins later gets every version too.
 *  - two members, Bob's peer stopped while both create `same.txt`;
 *  - three members, all running, creating `shared.txt` within milliseconds of each other.
 */
import assert from 'node:assert/strict';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerSuite, folders, makeShare, PeerProc, waitConverged } from './peer-procs.js';

/** `stem (conflict 1a2b3c4d).ext` beside `stem.ext`. */
function conflictName(path: string): RegExp {
  const dot = path.lastIndexOf('.');
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${esc(path.slice(0, dot))} \\(conflict [0-9a-f]{8}\\)${esc(path.slice(dot))}$`);
}

/** The files that hold a version of `path`: the path itself and its conflict names. */
function versionsOf(files: ReadonlyMap<string, string>, path: string): Map<string, string> {
  return new Map([...files].filter(([p]) => p === path || conflictName(path).test(p)));
}

/** Edits one conflict file, then deletes another, on `editor` and `deleter`; every folder follows, and nothing comes back. */
async function editAndDelete(dirs: string[], procs: PeerProc[], path: string, editor: string, deleter: string): Promise<void> {
  const now = await waitConverged(dirs, 60_000, () => true, procs);
  const copies = [...versionsOf(now, path).keys()].filter((p) => p !== path).sort();
  assert.ok(copies.length >= 1, 'a conflict file to work on');
  appendFileSync(join(editor, copies[0]!), 'resolved a little\n');
  let files = await waitConverged(dirs, 60_000, (f) => (f.get(copies[0]!) ?? '').endsWith('resolved a little\n'), procs);
  rmSync(join(deleter, copies[0]!));
  files = await waitConverged(dirs, 60_000, (f) => !f.has(copies[0]!), procs);
  // A later change reaches every folder: the deleted conflict file has not come back meanwhile.
  writeFileSync(join(editor, 'after.txt'), 'after the delete\n');
  files = await waitConverged(dirs, 60_000, (f) => f.has('after.txt'), procs);
  assert.equal(files.has(copies[0]!), false, 'the deleted conflict file came back');
  assert.equal(files.get(path), now.get(path), 'the file at the path is untouched');
  for (const c of copies.slice(1)) assert.equal(files.get(c), now.get(c), `${c} is untouched`);
}

describe('net/same-path creates: every version stays, the same names on every disk (issue 14)', function () {
  this.timeout(300_000);
  const suite = brokerSuite('same-path');

  it('two members, one stopped: both versions of same.txt stay, beside each other, identical on both disks; a joiner gets both', async () => {
    const [a, b, c] = folders(suite.root, ['alice', 'bob', 'carol']) as [string, string, string];
    writeFileSync(join(a, 'readme.md'), 'shared\n');
    // Carol is granted now and joins later (the owner's log is in use while it runs).
    await makeShare(a, [b, c], ['--broker', suite.broker.tcp]);
    const pa = await PeerProc.run(a);
    let pb = await PeerProc.run(b);
    await waitConverged([a, b], 60_000, (f) => f.has('readme.md'), [pa, pb]);
    assert.equal(await pb.stop(), 0);

    writeFileSync(join(a, 'same.txt'), 'alice\'s same.txt\n');
    writeFileSync(join(b, 'same.txt'), 'bob\'s same.txt\n');
    pb = await PeerProc.run(b);
    const files = await waitConverged([a, b], 60_000, (f) => versionsOf(f, 'same.txt').size === 2, [pa, pb]);
    const versions = versionsOf(files, 'same.txt');
    assert.deepEqual([...versions.values()].sort(), ['alice\'s same.txt\n', 'bob\'s same.txt\n'], 'both versions stay');
    assert.ok(versions.has('same.txt'));
    assert.doesNotMatch(pa.out + pb.out, /^(deleted|removed) same/m, 'no version was deleted on the way');

    // A member who joins later gets both versions under the same names.
    const pc = await PeerProc.run(c);
    await waitConverged([a, b, c], 60_000, (f) => versionsOf(f, 'same.txt').size === 2, [pa, pb, pc]);

    await editAndDelete([a, b, c], [pa, pb, pc], 'same.txt', b, a);
    for (const p of [pa, pb, pc]) assert.equal(await p.stop(), 0);
  });

  it('three members create shared.txt within milliseconds: three versions, identical folders, the same conflict names', async () => {
    const [a, b, c] = folders(suite.root, ['a3', 'b3', 'c3']) as [string, string, string];
    writeFileSync(join(a, 'readme.md'), 'shared\n');
    await makeShare(a, [b, c], ['--broker', suite.broker.tcp]);
    const procs = [await PeerProc.run(a), await PeerProc.run(b), await PeerProc.run(c)];
    await waitConverged([a, b, c], 60_000, (f) => f.has('readme.md'), procs);

    const texts = new Map([a, b, c].map((d, i) => [d, `version ${i + 1} of shared.txt, from ${['a', 'b', 'c'][i]}\n`]));
    for (const [d, t] of texts) writeFileSync(join(d, 'shared.txt'), t);
    const files = await waitConverged([a, b, c], 90_000, (f) => versionsOf(f, 'shared.txt').size === 3, procs);
    const versions = versionsOf(files, 'shared.txt');
    assert.deepEqual([...versions.values()].sort(), [...texts.values()].sort(), 'every version stays');
    assert.equal([...versions.keys()].filter((p) => p !== 'shared.txt').length, 2, 'two conflict names beside shared.txt');
    assert.deepEqual([...files.keys()].sort(), ['readme.md', ...versions.keys()].sort(), 'nothing else appeared');

    await editAndDelete([a, b, c], procs, 'shared.txt', c, b);
    for (const p of procs) assert.equal(await p.stop(), 0);
  });
});
