/**
 * ShareReplica's edits made at an earlier version of a file (a file changed on disk
 * while teammates edited it): staged and committed like `edit`, merged on every replica.
 */
import assert from 'node:assert/strict';
import { NotAllowedError } from '../../../protocol/src/share/replica.js';
import { diffHunks } from '../../../protocol/src/text/diff.js';
import { makeTeam } from './harness.js';

describe('share/editAt and editHunks', () => {
  it('an edit made at an old version merges with the edits made since, on every replica', () => {
    const { net, owner, replicas } = makeTeam([['bob', 'writer']]);
    const bob = replicas.get('bob')!;
    const file = owner.createFile('notes.txt', 'text', 'one\ntwo\nthree\nfour\n');
    net.publish(owner.flush());
    net.deliverAll(bob);
    // Bob's mirror wrote the file at this version; then Bob changes it on disk...
    const v = bob.versionOf(file);
    const disk = 'one\ntwo\nTHREE\nfour\nfive\n';
    // ...while the owner changes the first line, and Bob's replica merges that first.
    owner.edit(file, 0, 3, 'ONE');
    net.publish(owner.flush());
    net.deliverAll(bob);
    assert.equal(bob.textAt(file, v), 'one\ntwo\nthree\nfour\n');
    const ops = bob.editAt(file, v, diffHunks(bob.textAt(file, v), disk));
    assert.ok(ops.length > 0 && ops.every((o) => o.agent === bob.meAgent()));
    assert.equal(bob.stagedCount, 1);
    net.publish(bob.flush());
    net.deliverAll(owner);
    assert.equal(bob.text(file), 'ONE\ntwo\nTHREE\nfour\nfive\n');
    assert.equal(owner.text(file), bob.text(file));
    assert.equal(owner.textAt(file, v), 'one\ntwo\nthree\nfour\n');
  });

  it('editHunks edits the current text in several places at once', () => {
    const { net, owner, replicas } = makeTeam([['bob', 'writer']]);
    const file = owner.createFile('a.txt', 'text', 'alpha beta gamma\n');
    owner.editHunks(file, [
      { offset: 0, deleteCount: 5, insert: 'ALPHA' },
      { offset: 11, deleteCount: 5, insert: 'GAMMA' },
    ]);
    assert.equal(owner.text(file), 'ALPHA beta GAMMA\n');
    net.publish(owner.flush());
    const bob = replicas.get('bob')!;
    net.deliverAll(bob);
    assert.equal(bob.text(file), 'ALPHA beta GAMMA\n');
    assert.deepEqual(bob.versionOf(file), owner.versionOf(file));
  });

  it('a reader may read old versions but not edit at them', () => {
    const { net, owner, replicas } = makeTeam([['rita', 'reader']]);
    const rita = replicas.get('rita')!;
    const file = owner.createFile('r.txt', 'text', 'old');
    net.publish(owner.flush());
    net.deliverAll(rita);
    const v = rita.versionOf(file);
    owner.edit(file, 0, 3, 'new');
    net.publish(owner.flush());
    net.deliverAll(rita);
    assert.equal(rita.textAt(file, v), 'old');
    assert.throws(() => rita.editAt(file, v, [{ offset: 0, deleteCount: 0, insert: 'x' }]), NotAllowedError);
    assert.throws(() => rita.editHunks(file, [{ offset: 0, deleteCount: 0, insert: 'x' }]), NotAllowedError);
    assert.equal(rita.text(file), 'new');
    assert.equal(rita.stagedCount, 0);
  });

  it('a file with no text yet has the empty version and text', () => {
    const { owner } = makeTeam([]);
    const file = owner.createFile('empty.txt');
    assert.deepEqual(owner.versionOf(file), new Map());
    assert.equal(owner.textAt(file, new Map()), '');
  });
});
