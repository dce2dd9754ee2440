/**
 * PeerRuntime.collectGarbage over a chunk store with a fake clock: after a binary file
 * is overwritten, only the chunks the replaced version alone used are deleted; the
 * current version still reads back; an object stored and not committed yet survives
 * within the grace period; a deleted file's chunks go; a node without keys collects
 * nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chunkIdOf, encodeObjectRef, objectChunkIds, type ChunkId, type ObjectRef } from '../../../protocol/src/chunks/index.js';
import { generateSigningKeyPair } from '../../../protocol/src/crypto/index.js';
import { ShareNode } from '../../../protocol/src/node/share-node.js';
import { PeerRuntime, ShareKeysMissingError } from '../../../protocol/runtime/peer-runtime.js';
import { createTransport } from '../../../protocol/transport/index.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import { MemoryLogMedium, MemoryLogStore } from '../../../protocol/storage/memory-log-store.js';
import { systemClock, systemRandom } from '../../../protocol/platform/system-clock.js';

const HOUR = 60 * 60 * 1000;

async function idsOf(store: MemoryChunkStore, ref: ObjectRef): Promise<Set<ChunkId>> {
  const ids = new Set<ChunkId>();
  for await (const id of objectChunkIds(ref, (i) => store.get(i))) ids.add(id);
  return ids;
}

async function stored(store: MemoryChunkStore): Promise<Set<ChunkId>> {
  const ids = new Set<ChunkId>();
  for await (const c of store.list()) ids.add(c.id);
  return ids;
}

async function readAll(runtime: PeerRuntime, ref: ObjectRef): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of runtime.readObject(ref)) parts.push(p);
  return Buffer.concat(parts);
}

describe('protocol/chunks peer garbage collection (PeerRuntime.collectGarbage)', () => {
  let clock = 1_000_000;
  let store: MemoryChunkStore;
  let runtime: PeerRuntime;

  beforeEach(async () => {
    clock = 1_000_000;
    store = new MemoryChunkStore({ now: () => clock });
    const { node } = await ShareNode.create(new MemoryLogStore(new MemoryLogMedium()), 'gc', generateSigningKeyPair());
    // Never started: collectGarbage needs no network.
    runtime = new PeerRuntime({ clock: systemClock, random: systemRandom, node, transport: createTransport({ identitySeed: new Uint8Array(randomBytes(32)), listen: [] }), chunks: store });
  });

  async function commitVersion(file: ReturnType<ShareNode['replica']['createFile']>, bytes: Uint8Array): Promise<ObjectRef> {
    const ref = await runtime.storeObject(bytes);
    runtime.node.replica.setBinary(file, encodeObjectRef(ref));
    await runtime.commit();
    return ref;
  }

  it('deletes only the chunks of an overwritten version that the current version does not share', async () => {
    const v1Bytes = randomBytes(600_000);
    const v2Bytes = Buffer.from(v1Bytes);
    v2Bytes[300_000] ^= 0xff; // a one-byte edit: most chunks shared
    const file = runtime.node.replica.createFile('image.bin', 'binary');
    const v1 = await commitVersion(file, v1Bytes);
    const v2 = await commitVersion(file, v2Bytes);
    const v1Ids = await idsOf(store, v1);
    const v2Ids = await idsOf(store, v2);
    const onlyV1 = [...v1Ids].filter((id) => !v2Ids.has(id));
    assert.ok(onlyV1.length > 0 && onlyV1.length < v1Ids.size, `v1 has ${v1Ids.size} chunks, ${onlyV1.length} of them its own`);
    assert.deepEqual(runtime.node.replica.binaryVersions(file).length, 1, 'the overwrite replaced version 1');

    // Within the grace period nothing goes: v1's chunks are young.
    clock += HOUR / 2;
    const early = await runtime.collectGarbage({ now: clock });
    assert.equal(early.deleted, 0);
    assert.equal(early.keptYoung, onlyV1.length);

    clock += HOUR;
    const report = await runtime.collectGarbage({ now: clock });
    assert.equal(report.deleted, onlyV1.length);
    assert.equal(report.liveObjects, 1);
    assert.deepEqual(await stored(store), v2Ids, 'exactly version 2 is left');
    assert.ok((await readAll(runtime, v2)).equals(v2Bytes), 'version 2 reads back');
    assert.equal(await runtime.hasObject(v1), false);
  });

  it("keeps a young uncommitted object; drops a deleted file's chunks and, once old, a replaced version", async () => {
    const replica = runtime.node.replica;
    const kept = replica.createFile('kept.bin', 'binary');
    const keptRef = await commitVersion(kept, randomBytes(100_000));
    const gone = replica.createFile('gone.bin', 'binary');
    const goneRef = await commitVersion(gone, randomBytes(100_000));
    const goneIds = await idsOf(store, goneRef);
    replica.deleteFile(gone);
    await runtime.commit();
    clock += 2 * HOUR;
    const pendingBytes = randomBytes(100_000);
    const pending = await runtime.storeObject(pendingBytes); // stored, not committed yet

    const report = await runtime.collectGarbage({ now: clock + 1000 });
    assert.equal(await runtime.hasObject(keptRef), true);
    assert.equal(await runtime.hasObject(goneRef), false, "the deleted file's object is collected");
    assert.ok((await readAll(runtime, pending)).equals(pendingBytes), 'the uncommitted object survives the grace period');
    assert.equal(report.deleted, goneIds.size, "exactly the deleted file's chunks");
    assert.equal(report.keptYoung, (await idsOf(store, pending)).size);

    // Committed later, it is live for good.
    replica.setBinary(kept, encodeObjectRef(pending));
    await runtime.commit();
    clock += 2 * HOUR;
    await runtime.collectGarbage({ now: clock });
    assert.equal(await runtime.hasObject(pending), true);
    assert.equal(await runtime.hasObject(keptRef), false, 'the replaced version goes once old');
  });

  it('collects nothing on a node that holds no key of the share', async () => {
    const joiner = await ShareNode.open({ store: new MemoryLogStore(new MemoryLogMedium()), shareId: runtime.node.replica.shareId, me: generateSigningKeyPair() });
    const keyless = new PeerRuntime({ clock: systemClock, random: systemRandom, node: joiner.node, transport: createTransport({ identitySeed: new Uint8Array(randomBytes(32)), listen: [] }), chunks: store });
    const bytes = new Uint8Array(randomBytes(100));
    await store.put(chunkIdOf(bytes), bytes);
    await assert.rejects(keyless.collectGarbage({ now: clock + 10 * HOUR }), ShareKeysMissingError);
    assert.equal((await store.stats()).chunks, 1);
  });
});
