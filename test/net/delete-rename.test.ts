/**
 * Deletes and renames against offline edits (issue 14, finding 5), with real `weft peer
 * run` and `weft broker` processes. Each case: Bob's peer stops, Alice does something to
 * a file and her peer commits it, Bob does something else to the same file on disk, Bob's
 * peer comes back (its first pass takes his change in before anything arrives: the two
 * are concurrent).
 *  - Alice deletes d.txt, Bob edits it: d.txt comes back on both disks with Bob's edit,
 *    and both logs say so, naming who deleted it;
 *  - Alice renames r.txt to r-renamed.txt, Bob edits r.txt: one file, r-renamed.txt,
 *    with Bob's edit, and no r.txt on either disk;
 *  - Alice renames c.txt to c-alice.txt, Bob to c-bob.txt: one file, under the same name
 *    on both disks.
 */
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { append, brokerSuite, commitsHeld, folders, makeShare, PeerProc, waitConverged, waitUntil } from './peer-procs.js';

describe('net/deletes and renames against offline edits (issue 14)', function () {
  this.timeout(300_000);
  const suite = brokerSuite('delete-rename');
  let a: string;
  let b: string;
  let pa: PeerProc;
  let pb: PeerProc;
  const start: Record<string, string> = { 'd.txt': 'd, line 1\nd, line 2\n', 'r.txt': 'r, line 1\nr, line 2\n', 'c.txt': 'c, line 1\nc, line 2\n', 'keep.txt': 'untouched\n' };

  before(async () => {
    [a, b] = folders(suite.root, ['alice', 'bob']) as [string, string];
    for (const [p, t] of Object.entries(start)) writeFileSync(join(a, p), t);
    await makeShare(a, [b], ['--broker', suite.broker.tcp]);
    pa = await PeerProc.run(a);
    pb = await PeerProc.run(b);
    await waitConverged([a, b], 60_000, (f) => f.size === Object.keys(start).length, [pa, pb]);
  });

  /** Stops Bob's peer, lets Alice act (and waits until her peer committed it and logged `logged`), lets Bob act, restarts Bob's peer. */
  async function whileBobIsAway(alice: () => void, logged: RegExp, bob: () => void): Promise<void> {
    assert.equal(await pb.stop(), 0);
    const held = commitsHeld(pa);
    alice();
    await waitUntil(() => logged.test(pa.out) && commitsHeld(pa) > held, 30_000, () => `Alice's change was not committed:\n${pa.out}`);
    bob();
    pb = await PeerProc.run(b);
  }

  it('Alice deletes d.txt while Bob edits it: it comes back on both with Bob\'s edit, and Bob is told', async () => {
    await whileBobIsAway(
      () => rmSync(join(a, 'd.txt')),
      /^deleted d\.txt$/m,
      () => append(b, 'd.txt', 'd, line 3 by bob, offline\n'),
    );
    const files = await waitConverged([a, b], 60_000, (f) => (f.get('d.txt') ?? '').includes('line 3 by bob'), [pa, pb]);
    assert.equal(files.get('d.txt'), `${start['d.txt']}d, line 3 by bob, offline\n`);
    // Both are told, by name (Alice is the share's owner, named 'owner' in it).
    await waitUntil(() => /^d\.txt was deleted by owner while it was edited: the edit keeps it/m.test(pb.out), 30_000, () => `Bob was not told who deleted d.txt:\n${pb.out}`);
    await waitUntil(() => /^d\.txt: you deleted it while a teammate edited it; the edit keeps it, so it is back$/m.test(pa.out), 30_000, () => `Alice was not told:\n${pa.out}`);
    assert.equal(files.get('keep.txt'), start['keep.txt']);
  });

  it('Alice renames r.txt while Bob edits it: one file, r-renamed.txt, with Bob\'s edit', async () => {
    await whileBobIsAway(
      () => renameSync(join(a, 'r.txt'), join(a, 'r-renamed.txt')),
      /^renamed r\.txt -> r-renamed\.txt$/m,
      () => append(b, 'r.txt', 'r, line 3 by bob, offline\n'),
    );
    const files = await waitConverged([a, b], 60_000, (f) => (f.get('r-renamed.txt') ?? '').includes('line 3 by bob') && !f.has('r.txt'), [pa, pb]);
    assert.equal(files.get('r-renamed.txt'), `${start['r.txt']}r, line 3 by bob, offline\n`);
    assert.deepEqual([...files.keys()].filter((p) => p.startsWith('r')), ['r-renamed.txt'], 'no second copy of r.txt');
  });

  it('Alice and Bob rename c.txt to different names: one file, the same name on both disks', async () => {
    await whileBobIsAway(
      () => renameSync(join(a, 'c.txt'), join(a, 'c-alice.txt')),
      /^renamed c\.txt -> c-alice\.txt$/m,
      () => renameSync(join(b, 'c.txt'), join(b, 'c-bob.txt')),
    );
    await waitUntil(() => /^renamed c\.txt -> c-bob\.txt$/m.test(pb.out), 30_000, () => `Bob's rename was not taken in:\n${pb.out}`);
    const files = await waitConverged([a, b], 60_000, (f) => [...f.keys()].filter((p) => p.startsWith('c')).length === 1, [pa, pb]);
    const names = [...files.keys()].filter((p) => p.startsWith('c'));
    assert.ok(names[0] === 'c-alice.txt' || names[0] === 'c-bob.txt', `one of the two names: ${names.join(', ')}`);
    assert.equal(files.get(names[0]!), start['c.txt']);
    // Still one file after both peers went through a later change.
    writeFileSync(join(a, 'later.txt'), 'later\n');
    const later = await waitConverged([a, b], 60_000, (f) => f.has('later.txt'), [pa, pb]);
    assert.deepEqual([...later.keys()].filter((p) => p.startsWith('c')), names);
    for (const p of [pa, pb]) assert.equal(await p.stop(), 0);
  });
});
