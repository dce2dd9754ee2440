/**
 * A change Git made lands once however many members bring it in: two members pulling the
 * same upstream commit at the same version of the file make the same operations, in any
 * arrival order, and teammates' co-edits elsewhere in the file are kept.
 */
import assert from 'node:assert/strict';
import { diffHunks } from '../../../protocol/src/text/diff.js';
import type { FileId } from '../../../protocol/src/share/manifest.js';
import { makeTeam } from './harness.js';

const BASE = 'a\nb\nc\nd\n';
const UPSTREAM = 'a\nb\nnew 1\nnew 2\nc\nd\n';

describe('share/git edits', () => {
  function team() {
    const t = makeTeam([
      ['alice', 'writer'],
      ['bob', 'writer'],
      ['carol', 'writer'],
    ]);
    const alice = t.replicas.get('alice')!;
    const file = alice.createFile('f.txt', 'text', BASE) as FileId;
    t.net.publish(alice.flush());
    for (const r of t.replicas.values()) t.net.deliverAll(r);
    return { ...t, alice, bob: t.replicas.get('bob')!, carol: t.replicas.get('carol')!, file };
  }

  it('the same upstream change by two members at the same version lands once, in every order', () => {
    for (const order of ['alice first', 'bob first', 'both at once']) {
      const { alice, bob, carol, net, file } = team();
      const v = alice.versionOf(file);
      const hunks = diffHunks(BASE, UPSTREAM);
      alice.gitEdit({ file, version: v, hunks });
      bob.gitEdit({ file, version: bob.versionOf(file), hunks });
      const a = alice.flush()!;
      const b = bob.flush()!;
      if (order === 'alice first') bob.receive(a.bytes);
      if (order === 'bob first') alice.receive(b.bytes);
      net.publish(a);
      net.publish(b);
      for (const r of [alice, bob, carol]) net.deliverAll(r);
      for (const r of [alice, bob, carol]) assert.equal(r.text(file), UPSTREAM, `${order}: ${JSON.stringify(r.text(file))}`);
    }
  });

  it('text typed next to an upstream change two members brought in at once is kept on every replica', () => {
    // Both commits carry the change's ids: a reference to them is in a commit's past if either is.
    const { alice, bob, carol, net, file } = team();
    const hunks = diffHunks(BASE, UPSTREAM);
    alice.gitEdit({ file, version: alice.versionOf(file), hunks });
    bob.gitEdit({ file, version: bob.versionOf(file), hunks });
    net.publish(alice.flush());
    net.publish(bob.flush());
    // Bob types right after "new 1", having seen only his own pull.
    bob.edit(file, UPSTREAM.indexOf('new 1') + 'new 1'.length, 0, ' by bob');
    net.publish(bob.flush());
    for (const r of [alice, bob, carol]) net.deliverAll(r);
    for (const r of [alice, bob, carol]) assert.equal(r.text(file), UPSTREAM.replace('new 1', 'new 1 by bob'));
  });

  it('a teammate\'s co-edit elsewhere in the file is kept; a change made at another version lands beside (never two edits under one name)', () => {
    const { alice, bob, carol, net, file } = team();
    carol.edit(file, BASE.indexOf('d'), 0, 'carol ');
    net.publish(carol.flush());
    net.deliverAll(alice);
    // Alice has Carol's edit when she pulls; Bob does not: their versions differ.
    alice.gitEdit({ file, version: alice.versionOf(file), hunks: diffHunks(alice.text(file), alice.text(file).replace('c\n', 'new 1\nnew 2\nc\n')) });
    bob.gitEdit({ file, version: bob.versionOf(file), hunks: diffHunks(BASE, UPSTREAM) });
    net.publish(alice.flush());
    net.publish(bob.flush());
    for (const r of [alice, bob, carol]) net.deliverAll(r);
    const text = alice.text(file);
    assert.equal(bob.text(file), text);
    assert.equal(carol.text(file), text);
    assert.ok(text.includes('carol d'), 'the co-edit is kept');
    assert.equal(text.split('new 1').length - 1, 2, 'made at two versions, the change lands twice, the same on every replica');
  });

  it('a revoked member\'s git edit has no effect; a bogus version has none either', () => {
    const { owner, alice, bob, net, file, keys } = team();
    owner.revoke(keys.get('bob')!.publicKey);
    net.publish(owner.flush());
    bob.gitEdit({ file, version: bob.versionOf(file), hunks: diffHunks(BASE, UPSTREAM) });
    net.publish(bob.flush());
    net.deliverAll(alice);
    assert.equal(alice.text(file), BASE);
    alice.gitEdit({ file, version: new Map([['nobody', 7]]), hunks: diffHunks(BASE, UPSTREAM) });
    assert.equal(alice.text(file), BASE);
  });
});
