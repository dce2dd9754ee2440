import assert from 'node:assert/strict';
import { generateSigningKeyPair, toHex } from '../../../protocol/src/crypto/index.js';
import { NotAllowedError, ShareReplica } from '../../../protocol/src/share/replica.js';
import { makeTeam } from './harness.js';

describe('share/replica', () => {
  it('creates a share, grants by public key, and the member joins with keys sealed to it', () => {
    const { net, owner, replicas } = makeTeam([['bob', 'writer']]);
    const bob = replicas.get('bob')!;
    assert.equal(bob.name, 'test share');
    assert.equal(bob.myRole(), 'writer');
    assert.deepEqual(bob.heads(), owner.heads());
    const file = owner.createFile('notes.md', 'text', 'hello');
    net.publish(owner.flush());
    net.deliverAll(bob);
    assert.equal(bob.fileAt('notes.md'), file);
    assert.equal(bob.text(file), 'hello');
    bob.edit(file, 5, 0, ' world');
    net.publish(bob.flush());
    net.deliverAll(owner);
    assert.equal(owner.text(file), 'hello world');
  });

  it('a joiner without a key box cannot read anything', () => {
    const { net, owner } = makeTeam([]);
    const stranger = new ShareReplica({ shareId: owner.shareId, me: generateSigningKeyPair() });
    net.deliverAll(stranger);
    assert.equal(stranger.heads().length, 0);
    assert.equal(stranger.files().length, 0);
  });

  it('concurrent edits from three replicas converge in any delivery order', () => {
    const { net, owner, replicas } = makeTeam([
      ['bob', 'writer'],
      ['carol', 'admin'],
    ]);
    const file = owner.createFile('a.txt', 'text', 'base');
    net.publish(owner.flush());
    for (const r of replicas.values()) net.deliverAll(r);
    const all = [...replicas.values()];
    all.forEach((r, i) => {
      r.edit(file, 2, 0, `<${i}>`);
      net.publish(r.flush());
    });
    for (const r of all) net.deliverAll(r);
    const texts = all.map((r) => r.text(file));
    assert.equal(new Set(texts).size, 1, texts.join(' | '));
    assert.equal(texts[0]!.length, 'base'.length + 9);
  });

  it('a reader can read but the API refuses its writes', () => {
    const { net, owner, replicas } = makeTeam([['rita', 'reader']]);
    const rita = replicas.get('rita')!;
    const file = owner.createFile('r.md', 'text', 'secret plan');
    net.publish(owner.flush());
    net.deliverAll(rita);
    assert.equal(rita.text(file), 'secret plan');
    assert.throws(() => rita.edit(file, 0, 0, 'x'), NotAllowedError);
    assert.throws(() => rita.createFile('x.md'), NotAllowedError);
  });

  it('members and roles are the same on every replica', () => {
    const { net, owner, replicas } = makeTeam([
      ['bob', 'writer'],
      ['carol', 'reader'],
    ]);
    for (const r of replicas.values()) net.deliverAll(r);
    const view = (r: ShareReplica) => JSON.stringify([...r.members()].sort());
    for (const r of replicas.values()) assert.equal(view(r), view(owner));
    assert.equal(owner.members().get(toHex(replicas.get('carol')!.me.publicKey))?.role, 'reader');
  });
});
