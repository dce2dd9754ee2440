/**
 * Broker chunk expiry (`weft broker --chunk-expiry-days N`):
 *  - in process, with a fake clock: an offer of a held chunk refreshes its time, so of
 *    two equally old objects the re-offered one survives a sweep and the other goes;
 *    the topic's chunk count follows;
 *  - a real `weft broker` process over a data directory seeded with one long-expired and
 *    one fresh object: the sweep at start drops the expired one and keeps the fresh one;
 *    with the test hook WEFT_TEST_CHUNK_EXPIRY_MS, a chunk uploaded over the wire expires
 *    in a later periodic sweep while the fresh object stays served.
 * Nothing waits for time to pass and then asserts: tests wait for the broker's log line.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { convergenceKeys, writeObject, type ChunkId, type WrittenObject } from '../../protocol/src/chunks/index.js';
import { fromHex, generateSigningKeyPair, randomBytes, sign, toHex } from '../../protocol/src/crypto/index.js';
import { chunkOfferSignedBytes, decodeWire, type WireMessage } from '../../protocol/src/multicast/wire.js';
import { DEFAULT_BROKER_LIMITS, type ChannelId } from '../../protocol/src/broker/index.js';
import { BrokerChunks } from '../../protocol/runtime/broker-chunks.js';
import { PackChunkStore } from '../../protocol/storage/chunk-store-pack.js';
import { killAll, removeDir, startBroker, tempDir, WireClient, isType } from './broker-helpers.js';
import { waitUntil } from './peer-procs.js';
import { PackTopicChunkShelf } from '../../protocol/storage/topic-chunk-shelf.js';

const DAY = 24 * 60 * 60 * 1000;
const keys = convergenceKeys(randomBytes(32));
const smallChunks = { chunkSizes: { min: 4096, avg: 16384, max: 20000 } };

function object(size: number): WrittenObject {
  return writeObject(keys, randomBytes(size), smallChunks);
}

/** Writes the objects' chunks into a topic's pack store as if stored at `storedAt`. */
async function seed(dataDir: string, topicHex: string, storedAt: number, ...objects: WrittenObject[]): Promise<void> {
  const store = await PackChunkStore.open(join(dataDir, 'chunks', topicHex), { now: () => storedAt });
  for (const o of objects) for (const c of o.chunks) await store.put(c.ref.id, c.ciphertext);
  await store.close();
}

async function storedIds(dataDir: string, topicHex: string): Promise<Set<ChunkId>> {
  const store = await PackChunkStore.open(join(dataDir, 'chunks', topicHex));
  const ids = new Set<ChunkId>();
  for await (const c of store.list()) ids.add(c.id);
  await store.close();
  return ids;
}

const idsOf = (o: WrittenObject): Set<ChunkId> => new Set(o.chunks.map((c) => c.ref.id));
describe('net/broker chunk expiry', function () {
  this.timeout(30_000);
  const dirs: string[] = [];
  after(() => {
    killAll();
    for (const d of dirs) removeDir(d);
  });

  it('an offer of held chunks refreshes them: the re-offered object survives a sweep, the other expires (fake clock)', async () => {
    const dir = tempDir('chunk-expiry-unit');
    dirs.push(dir);
    const topic = generateSigningKeyPair();
    const topicHex = toHex(topic.publicKey);
    const offered = object(60_000);
    const forgotten = object(60_000);
    let clock = 1_000 * DAY;
    await seed(dir, topicHex, clock, offered, forgotten);

    const sent: WireMessage[] = [];
    const chunks = new BrokerChunks(new PackTopicChunkShelf(join(dir, 'chunks'), () => clock), DEFAULT_BROKER_LIMITS, {
      send: (_to, frame) => sent.push(decodeWire(frame)),
      channel: () => undefined,
      refuse: (_c, code, reason) => assert.fail(`refused: ${code} ${reason}`),
      log: () => undefined,
    }, { expiryMs: 7 * DAY, now: () => clock });
    await chunks.open();
    try {
      clock += 6 * DAY;
      chunks.handle({ kind: 'offer', channel: 'c1' as ChannelId, topic: topic.publicKey, topicHex, ids: offered.chunks.map((c) => fromHex(c.ref.id)) });
      await waitUntil(() => sent.some((m) => m.type === 'chunkhave'), 5000, () => `no CHUNKHAVE: ${sent.map((m) => m.type)}`);
      const have = sent.find(isType('chunkhave'))!;
      assert.deepEqual(new Set(have.ids.map((i) => toHex(i) as ChunkId)), idsOf(offered), 'all held: nothing wanted');
      assert.equal(sent.some((m) => m.type === 'chunkwant'), false);

      clock += 2 * DAY; // 8 days after storing, 2 after the offer
      const [report] = await chunks.expire();
      assert.equal(report?.deleted, forgotten.chunks.length);
      assert.equal(report?.kept, offered.chunks.length);
      assert.deepEqual(chunks.summaries()[0]?.chunks, offered.chunks.length, 'the chunk count follows');
    } finally {
      await chunks.close();
    }
    assert.deepEqual(await storedIds(dir, topicHex), idsOf(offered));
  });

  it('`weft broker --chunk-expiry-days` drops expired chunks at start and in periodic sweeps, keeps young ones', async () => {
    const dir = tempDir('chunk-expiry-proc');
    dirs.push(dir);
    const data = join(dir, 'data');
    const topic = generateSigningKeyPair();
    const topicHex = toHex(topic.publicKey);
    const expired = object(50_000);
    const fresh = object(50_000);
    await seed(data, topicHex, 1, expired); // stored in 1970
    await seed(data, topicHex, Date.now() + 3650 * DAY, fresh); // young through any test run
    const expiryLines = (text: string) => [...text.matchAll(new RegExp(`chunk expiry: topic ${topicHex.slice(0, 16)}: deleted (\\d+) expired chunk`, 'g'))].map((m) => Number(m[1]));

    const broker = await startBroker(data, ['--chunk-expiry-days', '30'], { WEFT_TEST_CHUNK_EXPIRY_MS: '1500' });
    await waitUntil(() => expiryLines(broker.stderr()).length >= 1, 10_000, () => `no sweep at start:\n${broker.stderr()}`);
    assert.deepEqual(expiryLines(broker.stderr()), [expired.chunks.length], 'the sweep at start deleted the expired object');

    const c = await WireClient.connect(broker.tcp);
    try {
      await c.send({ type: 'subscribe', topics: [topic.publicKey] });
      await c.next(isType('subscribed'));
      const fetch = async (o: WrittenObject): Promise<number[]> => {
        await c.send({ type: 'chunkwant', ids: o.chunks.map((ch) => fromHex(ch.ref.id)) });
        const lengths: number[] = [];
        for (let i = 0; i < o.chunks.length; i++) {
          const m = await c.next(isType('chunk'));
          lengths.push(m.type === 'chunk' ? m.bytes.length : -1);
        }
        return lengths;
      };
      assert.deepEqual(await fetch(expired), expired.chunks.map(() => 0), 'expired chunks are gone');
      assert.deepEqual(await fetch(fresh), fresh.chunks.map((ch) => ch.ciphertext.length), 'young chunks are served');

      // An upload now: expires 1.5 s later (test hook), in a periodic sweep.
      const upload = object(40_000);
      const ids = upload.chunks.map((ch) => fromHex(ch.ref.id));
      await c.send({ type: 'chunkoffer', topic: topic.publicKey, ids, signature: sign(topic.secretKey, chunkOfferSignedBytes(topic.publicKey, ids)) });
      await c.next(isType('chunkwant'));
      for (const [i, ch] of upload.chunks.entries()) await c.send({ type: 'chunk', id: ids[i]!, bytes: ch.ciphertext });
      const have = await c.next(isType('chunkhave'));
      assert.equal(have.type === 'chunkhave' && have.ids.length, ids.length);
      assert.deepEqual(await fetch(upload), upload.chunks.map((ch) => ch.ciphertext.length), 'stored');

      await waitUntil(() => expiryLines(broker.stderr()).length >= 2, 15_000, () => `no periodic sweep deleted the upload:\n${broker.stderr()}`);
      assert.deepEqual(expiryLines(broker.stderr()), [expired.chunks.length, upload.chunks.length]);
      assert.deepEqual(await fetch(upload), upload.chunks.map(() => 0), 'the expired upload is gone');
      assert.deepEqual(await fetch(fresh), fresh.chunks.map((ch) => ch.ciphertext.length), 'young chunks stay');
    } finally {
      await c.close();
    }
    assert.equal(await broker.kill(), 0);
    assert.deepEqual(await storedIds(data, topicHex), idsOf(fresh), 'on disk: only the young object');
  });
});
