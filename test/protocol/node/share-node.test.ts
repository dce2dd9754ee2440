import assert from 'node:assert/strict';
import { signingKeyPairFromSeed } from '../../../protocol/src/crypto/index.js';
import { ShareNode } from '../../../protocol/src/node/share-node.js';
import { MemoryLogMedium, MemoryLogStore } from '../../../protocol/storage/memory-log-store.js';

const owner = signingKeyPairFromSeed(new Uint8Array(32).fill(5));

describe('node/share node', () => {
  it('reopens a share from its store with every commit and key', async () => {
    const medium = new MemoryLogMedium();
    const { node } = await ShareNode.create(new MemoryLogStore(medium), 'persisted', owner);
    const file = node.replica.createFile('a.md', 'text', 'one');
    await node.commit();
    node.replica.edit(file, 3, 0, ' two');
    await node.commit();
    await node.close();
    const { node: again } = await ShareNode.open({ store: new MemoryLogStore(medium), shareId: node.replica.shareId, me: owner });
    assert.equal(again.replica.text(again.replica.fileAt('a.md')!), 'one two');
    assert.deepEqual(again.replica.heads(), node.replica.heads());
    assert.equal(again.replica.myRole(), 'owner');
  });

  it('ids are recomputed on load: a commit tampered with on disk is refused, and so is everything after it', async () => {
    const records: Array<{ bytes: Uint8Array; id: string }> = [];
    const medium = new MemoryLogMedium();
    const store = new MemoryLogStore(medium);
    const { node } = await ShareNode.create(store, 'tamper', owner);
    const file = node.replica.createFile('a.md', 'text', 'genuine');
    records.push((await node.commit())!);
    node.replica.edit(file, 0, 0, 'more ');
    records.push((await node.commit())!);
    await node.close();
    // Rewrite the log with one byte of the first edit commit flipped.
    const loaded = await new MemoryLogStore(medium).open();
    const bad = loaded.records.map((r) => r.slice());
    const first = records[0]!.bytes;
    const i = bad.findIndex((r) => r.length === first.length && r.every((b, j) => b === first[j]));
    bad[i]![40]! ^= 0x01;
    const medium2 = new MemoryLogMedium();
    const s2 = new MemoryLogStore(medium2);
    await s2.open();
    await s2.append(bad);
    await s2.close();
    const { node: reopened } = await ShareNode.open({ store: new MemoryLogStore(medium2), shareId: node.replica.shareId, me: owner });
    assert.equal(reopened.replica.fileAt('a.md'), undefined);
    assert.equal(reopened.replica.heads().length, 1); // only the genesis
    // The later commit waits for the genuine one, which is asked for by its real id.
    assert.deepEqual(reopened.replica.wanted(), [records[0]!.id]);
  });
});
