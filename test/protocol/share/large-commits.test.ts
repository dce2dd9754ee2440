/**
 * A change of any size commits: staged edits beyond the commit limit (a 5 MB paste, a
 * thousand files at once) become several commits under it, in order, and every replica
 * that receives them, in any order, ends with the same text.
 */
import assert from 'node:assert/strict';
import { DEFAULT_MAX_COMMIT_BYTES } from '../../../protocol/src/log/commit.js';
import { makeTeam } from './harness.js';

describe('share/large changes in pieces', () => {
  it('a 5 MB paste (with a surrogate pair at every cut) and a delete of 2 MB become commits under the limit', () => {
    const { owner, replicas, net } = makeTeam([['bob', 'writer']]);
    const bob = replicas.get('bob')!;
    const file = owner.createFile('big.md', 'text', 'start\nend\n');
    net.publish(owner.flush());
    net.deliverAll(bob);
    const paste = 'a' + '😀'.repeat(1_300_000) + 'x'.repeat(2_400_000); // odd offset: cuts would fall inside pairs
    owner.edit(file, 6, 0, paste);
    const envs = owner.flushInPieces();
    assert.ok(envs.length >= 5, `${envs.length} commits`);
    for (const e of envs) assert.ok(e.bytes.length <= DEFAULT_MAX_COMMIT_BYTES, `a commit of ${e.bytes.length} bytes`);
    for (const e of [...envs].reverse()) net.publish(e);
    net.deliverAll(bob, () => 0.5);
    assert.equal(bob.text(file), `start\n${paste}end\n`);
    owner.edit(file, 6, 2_000_000, '');
    const deletes = owner.flushInPieces();
    for (const e of deletes) net.publish(e);
    net.deliverAll(bob);
    assert.equal(bob.text(file), owner.text(file));
    assert.equal(owner.stagedCount, 0);
  });

  it('a thousand new files at once are committed in pieces', () => {
    const { owner, replicas, net } = makeTeam([['bob', 'writer']]);
    for (let i = 0; i < 1000; i++) owner.createFile(`f/${i}.txt`, 'text', `file ${i}\n`.repeat(200));
    const envs = owner.flushInPieces();
    assert.ok(envs.length > 1);
    for (const e of envs) net.publish(e);
    const bob = replicas.get('bob')!;
    net.deliverAll(bob);
    assert.equal(bob.files().length, 1000);
    assert.equal(bob.text(bob.fileAt('f/999.txt')!), 'file 999\n'.repeat(200));
  });
});
