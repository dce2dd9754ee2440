/**
 * PeerRuntime.storeObject and saveObject through the ObjectFiles port, in memory: a file
 * streamed in small pieces gives the same object as its bytes at once; an object is
 * saved whole or not at all (a veto, a missing chunk, a failing source leave the path
 * as it was and no write open).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MissingChunkError, objectChunkIds, type ChunkId } from '../../../protocol/src/chunks/index.js';
import { generateSigningKeyPair } from '../../../protocol/src/crypto/index.js';
import { ShareNode } from '../../../protocol/src/node/share-node.js';
import { PeerRuntime } from '../../../protocol/runtime/peer-runtime.js';
import { createTransport } from '../../../protocol/transport/index.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import { MemoryLogMedium, MemoryLogStore } from '../../../protocol/storage/memory-log-store.js';
import { MemoryObjectFiles } from '../../../protocol/storage/memory-object-files.js';
import { systemClock, systemRandom } from '../../../protocol/platform/system-clock.js';

describe('protocol/chunks PeerRuntime objects through ObjectFiles', () => {
  let store: MemoryChunkStore;
  let runtime: PeerRuntime;
  let files: MemoryObjectFiles;
  const bytes = new Uint8Array(randomBytes(300_000));

  beforeEach(async () => {
    store = new MemoryChunkStore();
    files = new MemoryObjectFiles(1000); // small pieces: the writer sees the file as a stream
    files.files.set('in.bin', bytes);
    const { node } = await ShareNode.create(new MemoryLogStore(new MemoryLogMedium()), 'objects', generateSigningKeyPair());
    // Never started: storing and saving need no network.
    runtime = new PeerRuntime({ clock: systemClock, random: systemRandom, node, transport: createTransport({ identitySeed: new Uint8Array(randomBytes(32)), listen: [] }), chunks: store });
  });

  it('a file read in pieces is the same object as its bytes, and saves back byte for byte', async () => {
    const streamed = await runtime.storeObject(files.read('in.bin'));
    assert.deepEqual(streamed, await runtime.storeObject(bytes));
    assert.equal(await runtime.saveObject(streamed, await files.create('out.bin')), true);
    assert.deepEqual(files.files.get('out.bin'), bytes);
    assert.equal(files.pendingSinks, 0);
  });

  it('a veto leaves the file as it was', async () => {
    const ref = await runtime.storeObject(bytes);
    files.files.set('out.bin', new Uint8Array([1, 2, 3]));
    assert.equal(await runtime.saveObject(ref, await files.create('out.bin'), async () => false), false);
    assert.deepEqual(files.files.get('out.bin'), new Uint8Array([1, 2, 3]));
    assert.equal(files.pendingSinks, 0);
  });

  it('an object missing a chunk is not saved, and its write is discarded', async () => {
    const ref = await runtime.storeObject(bytes);
    const ids: ChunkId[] = [];
    for await (const id of objectChunkIds(ref, (i) => store.get(i))) ids.push(id);
    await store.delete(ids.at(-1)!);
    await assert.rejects(runtime.saveObject(ref, await files.create('out.bin')), MissingChunkError);
    assert.equal(files.files.has('out.bin'), false);
    assert.equal(files.pendingSinks, 0);
  });

  it('a source that fails part-way fails the store', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 1000);
      throw new Error('the disk went away');
    }
    await assert.rejects(runtime.storeObject(failing()), /the disk went away/);
  });
});
