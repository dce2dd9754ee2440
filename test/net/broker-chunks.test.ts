/**
 * A `weft broker` process and chunk traffic from a raw wire client: a signed CHUNKOFFER
 * is answered with CHUNKWANT for the missing chunks, stored chunks are confirmed with
 * CHUNKHAVE and served to subscribers; bad input (a forged offer, an unasked chunk, a
 * chunk that does not match its id, a chunk over the quota) gets a typed ERROR and the
 * broker keeps serving.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { convergenceKeys, writeObject } from '../../protocol/src/chunks/index.js';
import { fromHex, generateSigningKeyPair, randomBytes, sign, toHex } from '../../protocol/src/crypto/index.js';
import { chunkOfferSignedBytes } from '../../protocol/src/multicast/wire.js';
import { killAll, removeDir, startBroker, tempDir, WireClient, isType, type BrokerProcess } from './broker-helpers.js';

describe('net/broker chunk store (separate process, raw wire client)', function () {
  this.timeout(30_000);
  let dir: string;
  let broker: BrokerProcess;
  const clients: WireClient[] = [];
  const topic = generateSigningKeyPair();
  const keys = convergenceKeys(randomBytes(32));
  // Three data chunks of ~16 KiB and their tree node(s).
  const object = writeObject(keys, randomBytes(60_000), { chunkSizes: { min: 4096, avg: 16384, max: 20000 } });
  const ids = object.chunks.map((c) => fromHex(c.ref.id));

  before(async () => {
    dir = tempDir('broker-chunks');
    broker = await startBroker(join(dir, 'data'), ['--chunk-quota-bytes', String(object.chunks.reduce((a, c) => a + c.ciphertext.length, 0) + 100)]);
  });
  after(async () => {
    for (const c of clients) await c.close();
    killAll();
    removeDir(dir);
  });

  async function client(): Promise<WireClient> {
    const c = await WireClient.connect(broker.tcp);
    clients.push(c);
    return c;
  }

  it('refuses a forged offer and an unasked chunk, then stores, confirms and serves an offered object', async () => {
    const c = await client();
    await c.send({ type: 'chunkoffer', topic: topic.publicKey, ids, signature: new Uint8Array(64) });
    const forged = await c.next(isType('error'));
    assert.equal(forged.type === 'error' && forged.code, 'bad-signature');
    await c.send({ type: 'chunk', id: ids[0]!, bytes: object.chunks[0]!.ciphertext });
    const unasked = await c.next(isType('error'));
    assert.equal(unasked.type === 'error' && unasked.code, 'malformed');

    await c.send({ type: 'chunkoffer', topic: topic.publicKey, ids, signature: sign(topic.secretKey, chunkOfferSignedBytes(topic.publicKey, ids)) });
    const want = await c.next(isType('chunkwant'));
    assert.deepEqual(want.type === 'chunkwant' && want.ids.map(toHex), ids.map(toHex));
    // The first chunk honest, the second damaged, the rest honest.
    for (const [i, ch] of object.chunks.entries()) {
      const bytes = ch.ciphertext.slice();
      if (i === 1) bytes[5]! ^= 1;
      await c.send({ type: 'chunk', id: ids[i]!, bytes });
    }
    const damaged = await c.next(isType('error'));
    assert.equal(damaged.type === 'error' && damaged.code, 'malformed');
    const have = await c.next(isType('chunkhave'));
    const held = new Set(have.type === 'chunkhave' ? have.ids.map(toHex) : []);
    assert.equal(held.size, ids.length - 1);
    assert.equal(held.has(toHex(ids[1]!)), false, 'the damaged chunk is not stored');

    // Served to a subscriber of the topic, in order; empty bytes for what is not here.
    const reader = await client();
    await reader.send({ type: 'subscribe', topics: [topic.publicKey] });
    await reader.next(isType('subscribed'));
    await reader.send({ type: 'chunkwant', ids: [ids[0]!, ids[1]!, ids[2]!] });
    const got = [await reader.next(isType('chunk')), await reader.next(isType('chunk')), await reader.next(isType('chunk'))];
    assert.deepEqual(got.map((m) => m.type === 'chunk' && toHex(m.id)), [ids[0]!, ids[1]!, ids[2]!].map(toHex));
    assert.deepEqual(got[0]!.type === 'chunk' && got[0]!.bytes, object.chunks[0]!.ciphertext);
    assert.equal(got[1]!.type === 'chunk' && got[1]!.bytes.length, 0);

    // Offered again: only the missing chunk is wanted; the quota (sized for this one object) still fits it.
    await c.send({ type: 'chunkoffer', topic: topic.publicKey, ids, signature: sign(topic.secretKey, chunkOfferSignedBytes(topic.publicKey, ids)) });
    const again = await c.next(isType('chunkwant'));
    assert.deepEqual(again.type === 'chunkwant' && again.ids.map(toHex), [toHex(ids[1]!)]);
    await c.send({ type: 'chunk', id: ids[1]!, bytes: object.chunks[1]!.ciphertext });
    const all = await c.next(isType('chunkhave'));
    assert.equal(all.type === 'chunkhave' && all.ids.length, ids.length);
  });

  it('refuses chunks beyond the topic chunk quota and keeps running', async () => {
    const c = await client();
    const more = writeObject(keys, randomBytes(30_000));
    const moreIds = more.chunks.map((ch) => fromHex(ch.ref.id));
    await c.send({ type: 'chunkoffer', topic: topic.publicKey, ids: moreIds, signature: sign(topic.secretKey, chunkOfferSignedBytes(topic.publicKey, moreIds)) });
    const want = await c.next(isType('chunkwant'));
    assert.equal(want.type === 'chunkwant' && want.ids.length, moreIds.length);
    for (const [i, ch] of more.chunks.entries()) await c.send({ type: 'chunk', id: moreIds[i]!, bytes: ch.ciphertext });
    const quota = await c.next(isType('error'));
    assert.equal(quota.type === 'error' && quota.code, 'quota');
    const have = await c.next(isType('chunkhave'));
    assert.equal(have.type === 'chunkhave' && have.ids.length, 0);
    assert.equal(broker.proc.exitCode, null, 'the broker is still running');
  });
});
