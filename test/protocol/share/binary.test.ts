/**
 * Binary files: a manifest entry points at its current object; concurrent changes keep
 * both versions visibly (the same main version and conflict copies everywhere).
 */
import assert from 'node:assert/strict';
import { convergenceKeys, decodeObjectRef, encodeObjectRef, readWholeObject, writeObject } from '../../../protocol/src/chunks/index.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import { makeTeam } from './harness.js';

describe('share/binary files', () => {
  it('keeps both concurrent versions, in the same order on every replica; a later version replaces both', async () => {
    const { net, owner, replicas } = makeTeam([['bob', 'writer']]);
    const bob = replicas.get('bob')!;
    const file = owner.createFile('logo.png', 'binary');
    net.publish(owner.flush());
    net.deliverAll(bob);
    const keys = convergenceKeys(owner.convergenceSecret()!);
    const store = new MemoryChunkStore();
    const a = writeObject(keys, new TextEncoder().encode('version A'));
    const b = writeObject(keys, new TextEncoder().encode('version B'));
    for (const c of [...a.chunks, ...b.chunks]) await store.put(c.ref.id, c.ciphertext);
    owner.setBinary(file, encodeObjectRef(a.root));
    net.publish(owner.flush());
    bob.setBinary(file, encodeObjectRef(b.root));
    net.publish(bob.flush());
    net.deliverAll(owner);
    net.deliverAll(bob);
    const vo = owner.binaryVersions(file);
    const vb = bob.binaryVersions(file);
    assert.equal(vo.length, 2);
    assert.deepEqual(vo.map((v) => v.commit), vb.map((v) => v.commit));
    // Both versions are readable by members.
    const texts = await Promise.all(vo.map(async (v) => new TextDecoder().decode(await readWholeObject(decodeObjectRef(v.ref), (id) => store.get(id)))));
    assert.deepEqual([...texts].sort(), ['version A', 'version B']);
    // A version made after seeing both replaces both.
    const c = writeObject(keys, new TextEncoder().encode('merged'));
    owner.setBinary(file, encodeObjectRef(c.root));
    net.publish(owner.flush());
    net.deliverAll(bob);
    assert.equal(bob.binaryVersions(file).length, 1);
  });

  it('the convergence secret is the same for every member and differs between shares', () => {
    const t1 = makeTeam([['bob', 'writer']]);
    const t2 = makeTeam([['bob', 'writer']]);
    const s1 = t1.owner.convergenceSecret()!;
    assert.deepEqual(t1.replicas.get('bob')!.convergenceSecret(), s1);
    assert.notDeepEqual(t2.owner.convergenceSecret(), s1);
  });
});
