import assert from 'node:assert/strict';
import { generateSigningKeyPair, toHex } from '../../../protocol/src/crypto/index.js';
import { decodeCommitEnvelope } from '../../../protocol/src/log/commit.js';
import { encodeWire } from '../../../protocol/src/multicast/wire.js';
import { SyncSession } from '../../../protocol/src/sync/index.js';
import type { ChannelId } from '../../../protocol/src/broker/index.js';
import { ClientLog, Driver, keysMessage, makeStream, syncWithBroker, types } from './helpers.js';

function idOf(bytes: Uint8Array): string {
  return decodeCommitEnvelope(bytes).id;
}

describe('broker/state machine', () => {
  const stream = makeStream(6);
  const [c0, c1, c2] = stream.commits;

  it('stores, acks, and forwards a valid event to the other subscribers only', () => {
    const d = new Driver();
    for (const ch of ['a', 'b', 'c']) d.connect(ch);
    d.send('a', { type: 'subscribe', topics: [stream.topic] });
    d.send('b', { type: 'subscribe', topics: [stream.topic] });
    for (const ch of ['a', 'b', 'c']) d.take(ch);
    d.send('a', { type: 'event', commit: c0! });
    assert.equal(d.stored.length, 1);
    assert.deepEqual(d.stored[0]!.records, [c0]);
    const toA = d.take('a');
    assert.deepEqual(types(toA), ['ack']);
    assert.equal(toA[0]!.type === 'ack' && toA[0]!.id, idOf(c0!));
    const toB = d.take('b');
    assert.deepEqual(types(toB), ['event']);
    assert.deepEqual(d.take('c'), []);
  });

  it('forwards a new event at once, acks it only once durable; a duplicate is acked again, not stored or forwarded', () => {
    const d = new Driver();
    d.connect('a');
    d.connect('b');
    d.send('b', { type: 'subscribe', topics: [stream.topic] });
    d.take('a');
    d.take('b');
    d.holdStores = true;
    d.send('a', { type: 'event', commit: c0! });
    d.send('a', { type: 'event', commit: c0! }); // while pending
    assert.deepEqual(d.take('a'), []);
    assert.equal(d.held.length, 1);
    assert.deepEqual(types(d.take('b')), ['event'], 'forwarded at once, before the disk (once, though sent twice)');
    d.completeStores();
    assert.deepEqual(types(d.take('a')), ['ack']);
    assert.deepEqual(d.take('b'), [], 'not forwarded again when stored');
    d.holdStores = false;
    d.send('a', { type: 'event', commit: c0! });
    d.send('b', { type: 'event', commit: c0! });
    assert.deepEqual(types(d.take('a')), ['ack']);
    assert.deepEqual(types(d.take('b')), ['ack']);
    assert.equal(d.stored.length, 1);
  });

  it('a channel that subscribes and syncs while an event waits for the disk gets the event once it is stored', () => {
    // Forwarded at once to the subscribers of the moment, and not yet in the index that
    // a catch-up reads: a late subscriber would miss it until some later commit needed it.
    const d = new Driver();
    d.connect('pub');
    d.take('pub');
    d.send('pub', { type: 'event', commit: c0! });
    assert.deepEqual(types(d.take('pub')), ['ack']);
    d.holdStores = true;
    const next = stream.commits[1]!;
    d.send('pub', { type: 'event', commit: next });
    d.connect('late');
    d.take('late');
    d.send('late', { type: 'subscribe', topics: [stream.topic] });
    const log = new ClientLog(stream.topic);
    syncWithBroker(d, 'late', stream.topic, log);
    assert.equal(log.index.size, 1, 'the catch-up gave what was stored');
    d.completeStores();
    const got = d.take('late').filter((m) => m.type === 'event');
    assert.equal(got.length, 1, 'the event that was waiting for the disk reaches the late subscriber');
    assert.deepEqual(types(d.take('pub')), ['ack']);
  });

  it('refuses unsigned, forged, malformed and oversized events with the right code, state unchanged', () => {
    const d = new Driver({ limits: { maxEventBytes: 4096 } });
    d.connect('a');
    d.take('a');
    const forged = c1!.slice();
    forged[forged.length - 1]! ^= 1; // topic signature broken
    const tampered = c1!.slice();
    tampered[40]! ^= 1; // signed bytes changed
    const unsigned = c1!.slice();
    unsigned.fill(0, unsigned.length - 64);
    d.send('a', { type: 'event', commit: forged });
    d.send('a', { type: 'event', commit: tampered });
    d.send('a', { type: 'event', commit: unsigned });
    d.send('a', { type: 'event', commit: new Uint8Array([0x43, 1, 2, 3]) });
    d.send('a', { type: 'event', commit: new Uint8Array(5000) });
    d.send('a', new Uint8Array([1, 2, 3]));
    const got = types(d.take('a'));
    assert.equal(got[0], 'error:bad-signature');
    assert.equal(got[2], 'error:bad-signature');
    assert.deepEqual(got.slice(3), ['error:malformed', 'error:too-large', 'error:malformed']);
    assert.ok(got[1] === 'error:bad-signature' || got[1] === 'error:malformed');
    assert.equal(d.stored.length, 0);
    assert.deepEqual(d.broker.topicSummaries(), []);
    assert.deepEqual(d.closed, []);
    // Each refusal is counted by its code, for the operator's status.json.
    const counted = d.broker.refusals();
    assert.equal(Object.values(counted.byCode).reduce((a, b) => a + b, 0), 6);
    assert.equal(counted.byCode['too-large'], 1);
    assert.equal(counted.connectionsClosed, 0);
  });

  it('closes a connection that keeps misbehaving', () => {
    const d = new Driver({ limits: { maxStrikes: 5 } });
    d.connect('a');
    for (let i = 0; i < 10; i++) d.send('a', new Uint8Array([9, 9, 9]));
    assert.deepEqual(d.closed, ['a']);
    assert.equal(d.broker.refusals().connectionsClosed, 1);
  });

  it('open mode accepts any subscription; allowlist mode refuses unknown topics with a reason', () => {
    const open = new Driver();
    open.connect('a');
    open.take('a');
    open.send('a', { type: 'subscribe', topics: [stream.topic] });
    assert.deepEqual(types(open.take('a')), ['subscribed']);

    const other = generateSigningKeyPair().publicKey;
    const strict = new Driver({ policy: 'allowlist', allowlist: [stream.topic] });
    strict.connect('a');
    strict.take('a');
    strict.send('a', { type: 'subscribe', topics: [stream.topic, other] });
    const got = strict.take('a');
    assert.deepEqual(types(got), ['subscribed', 'error:unknown-topic']);
    const err = got[1]!;
    assert.ok(err.type === 'error' && err.topic && toHex(err.topic) === toHex(other) && /allowlist/.test(err.reason));
    const foreign = makeStream(1, 'x.md');
    strict.send('a', { type: 'event', commit: foreign.commits[0]! });
    assert.deepEqual(types(strict.take('a')), ['error:unknown-topic']);
    assert.equal(strict.stored.length, 0);
  });

  it('enforces the per-topic quota, max topics and max subscriptions', () => {
    const d = new Driver({ limits: { topicQuotaBytes: c0!.length + c1!.length, maxTopics: 1, maxSubscriptionsPerChannel: 1 } });
    d.connect('a');
    d.take('a');
    d.send('a', { type: 'event', commit: c0! });
    d.send('a', { type: 'event', commit: c1! });
    d.send('a', { type: 'event', commit: c2! });
    assert.deepEqual(types(d.take('a')), ['ack', 'ack', 'error:quota']);
    const foreign = makeStream(1, 'y.md');
    d.send('a', { type: 'event', commit: foreign.commits[0]! });
    const e = d.take('a')[0]!;
    assert.ok(e.type === 'error' && e.code === 'quota' && /maximum of 1 topics/.test(e.reason));
    d.send('a', { type: 'subscribe', topics: [stream.topic, foreign.topic] });
    assert.deepEqual(types(d.take('a')), ['subscribed', 'error:quota']);
  });

  it('rate-limits a flooding connection and recovers as time passes', () => {
    const d = new Driver({ limits: { messagesPerSecond: 10, maxStrikes: 1000 } });
    d.connect('a');
    d.take('a');
    for (let i = 0; i < 30; i++) d.send('a', { type: 'keyreq', topic: stream.topic, member: stream.topic });
    const got = types(d.take('a'));
    assert.ok(got.includes('error:rate-limited'));
    assert.equal(got.filter((t) => t === 'error:rate-limited').length, 1, 'one rate-limit error per second');
    d.now += 5000;
    d.send('a', { type: 'subscribe', topics: [stream.topic] });
    assert.deepEqual(types(d.take('a')), ['subscribed']);
  });

  it('paces new events by a publish window instead of the rate limit: readable() is false while it is full', () => {
    const d = new Driver({ limits: { messagesPerSecond: 5, publishWindowEvents: 4, maxStrikes: 3 } });
    d.connect('pub');
    d.take('pub');
    d.holdStores = true;
    const burst = stream.more(10);
    for (const c of burst.slice(0, 4)) d.send('pub', { type: 'event', commit: c });
    assert.equal(d.broker.readable('pub' as ChannelId), false, 'four events wait for the disk: the window is full');
    assert.deepEqual(types(d.take('pub')), [], 'no refusal, no ack before the store');
    d.completeStores();
    assert.equal(d.broker.readable('pub' as ChannelId), true, 'stored: the window has room again');
    assert.deepEqual(types(d.take('pub')), ['ack', 'ack', 'ack', 'ack']);
    d.holdStores = false;
    for (const c of burst.slice(4)) d.send('pub', { type: 'event', commit: c });
    assert.deepEqual(types(d.take('pub')), ['ack', 'ack', 'ack', 'ack', 'ack', 'ack'], 'ten new events at once: all acked, none rate-limited');
    assert.deepEqual(d.closed, []);
  });

  it('charges events that take no window (duplicates) to the rate limit, and cuts off a client that floods them', () => {
    const d = new Driver({ limits: { messagesPerSecond: 5, maxStrikes: 3 } });
    d.connect('pub');
    d.take('pub');
    d.send('pub', { type: 'event', commit: c0! });
    assert.deepEqual(types(d.take('pub')), ['ack']);
    for (let i = 0; i < 40; i++) d.send('pub', { type: 'event', commit: c0! });
    assert.ok(types(d.take('pub')).includes('error:rate-limited'));
    assert.deepEqual(d.closed, ['pub'], 'out of strikes: closed');
  });

  it('forwards presence to the other subscribers, never stores it, and rate-limits it', () => {
    const d = new Driver({ limits: { presencePerSecond: 2 } });
    for (const ch of ['a', 'b']) {
      d.connect(ch);
      d.send(ch, { type: 'subscribe', topics: [stream.topic] });
      d.take(ch);
    }
    d.send('a', { type: 'presence', topic: stream.topic, payload: new Uint8Array([1, 2]) });
    assert.deepEqual(types(d.take('b')), ['presence']);
    assert.deepEqual(d.take('a'), []);
    for (let i = 0; i < 10; i++) d.send('a', { type: 'presence', topic: stream.topic, payload: new Uint8Array([i]) });
    assert.equal(d.take('b').length, 3);
    assert.ok(types(d.take('a')).includes('error:rate-limited'));
    assert.equal(d.stored.length, 0);
  });

  it('answers WANT with the stored events among the ids', () => {
    const d = new Driver();
    d.connect('a');
    d.connect('b');
    d.send('a', { type: 'event', commit: c0! });
    d.send('a', { type: 'event', commit: c1! });
    d.take('b');
    const missing = idOf(c2!) as never;
    d.send('b', { type: 'want', topic: stream.topic, ids: [idOf(c1!) as never, missing] });
    const got = d.take('b');
    assert.deepEqual(types(got), ['event']);
    assert.equal(got[0]!.type === 'event' && idOf(got[0]!.commit), idOf(c1!));
  });

  it('verifies, stores and serves KEYS; refuses forged ones', () => {
    const d = new Driver();
    d.connect('a');
    d.connect('b');
    d.take('a');
    d.take('b');
    const member = generateSigningKeyPair().publicKey;
    const msg = keysMessage(stream, member, [new Uint8Array(80).fill(7)]);
    d.send('a', msg);
    assert.equal(d.stored.length, 1);
    assert.deepEqual(d.stored[0]!.records[0], encodeWire(msg));
    d.send('b', { type: 'keyreq', topic: stream.topic, member });
    const got = d.take('b');
    assert.deepEqual(types(got), ['keys']);
    assert.deepEqual(got[0], msg);
    const forged = { ...msg, boxes: [new Uint8Array(80).fill(8)] } as typeof msg;
    d.send('a', forged);
    assert.deepEqual(types(d.take('a')), ['error:bad-signature']);
    assert.equal(d.stored.length, 1);
    d.send('b', { type: 'keyreq', topic: generateSigningKeyPair().publicKey, member });
    assert.deepEqual(types(d.take('b')), ['error:unknown-topic']);
    // Reloaded from its records, the broker still serves them.
    const again = new Driver();
    again.broker.load(stream.topic, d.stored[0]!.records);
    again.connect('c');
    again.take('c');
    again.send('c', { type: 'keyreq', topic: stream.topic, member });
    assert.deepEqual(again.take('c'), [msg]);
  });

  it('serves SYNC catch-up to a subscriber that was offline, and learns what it lacks', () => {
    const d = new Driver();
    d.connect('pub');
    for (const c of stream.commits.slice(0, 4)) d.send('pub', { type: 'event', commit: c });
    d.connect('late');
    d.take('late');
    const log = new ClientLog(stream.topic);
    log.merge(stream.commits[0]!);
    // The late client also holds commits the broker lacks.
    for (const c of stream.commits.slice(1, 6)) log.merge(c);
    syncWithBroker(d, 'late', stream.topic, log);
    const summary = d.broker.topicSummaries()[0]!;
    assert.equal(summary.events, 6, 'the broker took the two commits it lacked');
    const fresh = new ClientLog(stream.topic);
    d.connect('fresh');
    d.take('fresh');
    syncWithBroker(d, 'fresh', stream.topic, fresh);
    assert.equal(fresh.index.size, 6);
    assert.deepEqual(fresh.source.heads(), log.source.heads());
  });

  it('learns every commit a late client holds, whatever Bloom false positives skip (100 streams)', () => {
    // A broker stores commits before their dependencies; when a false positive made the
    // client skip one, the broker has every head and still lacks it. It must ask.
    for (let seed = 1; seed <= 100; seed++) {
      const s = makeStream(8, 'fp.md', seed);
      const d = new Driver();
      d.connect('pub');
      for (const c of s.commits.slice(0, 3)) d.send('pub', { type: 'event', commit: c });
      d.connect('late');
      d.take('late');
      const log = new ClientLog(s.topic);
      for (const c of s.commits) log.merge(c);
      syncWithBroker(d, 'late', s.topic, log);
      assert.equal(d.broker.topicSummaries()[0]!.events, 8, `seed ${seed}: the broker lacks a commit the client held`);
    }
  });

  it('paces the new commits of a SYNC catch-up by the publish window, not the byte rate; other SYNC bytes stay rate-limited', () => {
    // A member catching a broker up on more than the byte rate allows (a 60 MB share's
    // first run) is an honest publisher: slowed by the window, never refused.
    const s = makeStream(40, 'catch-up.md', 7);
    const d = new Driver({ limits: { bytesPerSecond: 1024, messagesPerSecond: 1000, maxStrikes: 100 } });
    d.connect('late');
    d.take('late');
    const log = new ClientLog(s.topic);
    for (const c of s.commits) log.merge(c);
    // Small parts: the catch-up takes many frames, far more bytes (~13 KB) than the burst allows.
    syncWithBroker(d, 'late', s.topic, log, { maxMessageBytes: 1024 });
    assert.equal(d.broker.topicSummaries()[0]!.events, 40, 'every commit of the catch-up is stored');
    assert.deepEqual(d.closed, []);
    // SYNC frames that bring nothing new still cost bytes: a flood of them is refused.
    for (let i = 0; i < 60; i++) d.send('late', { type: 'sync', topics: [s.topic], message: encodeSyncStart(log) });
    assert.ok(types(d.take('late')).includes('error:rate-limited'));
  });

  it('defers a SYNC message until the channel\'s pending stores are durable', () => {
    const d = new Driver();
    d.connect('a');
    d.take('a');
    d.holdStores = true;
    d.send('a', { type: 'event', commit: c0! });
    const log = new ClientLog(stream.topic);
    log.merge(c0!);
    d.send('a', { type: 'sync', topics: [stream.topic], message: encodeSyncStart(log) });
    assert.deepEqual(types(d.take('a')), []);
    d.completeStores();
    assert.deepEqual(types(d.take('a')), ['ack', 'sync']);
  });

  it('subscribes a peer broker to its topics and syncs them on connect', () => {
    const d = new Driver();
    d.connect('pub');
    d.send('pub', { type: 'event', commit: c0! });
    d.connect('peer', { peerBroker: true });
    assert.deepEqual(types(d.take('peer')), ['hello', 'subscribe', 'sync']);
    // A new topic appearing later is subscribed on the broker channel too.
    const other = makeStream(1, 'z.md');
    d.send('pub', { type: 'event', commit: other.commits[0]! });
    const got = d.take('peer');
    assert.deepEqual(types(got), ['subscribe', 'sync']);
  });

  it("made-up topics a client subscribes to (carried to the peer broker) never take a real topic's sync session", () => {
    // The dishonest mix's topic-flood: SUBSCRIBE to 64 made-up topics (twice) used up the
    // peer-broker channel's sync sessions, and a later epoch's events never crossed.
    const d = new Driver();
    d.connect('peer', { peerBroker: true });
    d.take('peer');
    d.connect('mallory');
    const madeUp = Array.from({ length: 2 * 64 }, (_, i) => new Uint8Array(32).fill(i + 1));
    d.send('mallory', { type: 'subscribe', topics: madeUp.slice(0, 64) });
    d.send('mallory', { type: 'subscribe', topics: madeUp.slice(64) });
    assert.equal(types(d.take('peer')).filter((t) => t === 'sync').length, 128, 'each made-up topic is carried and synced');
    d.connect('pub');
    d.send('pub', { type: 'event', commit: c0! });
    assert.deepEqual(types(d.take('peer')), ['subscribe', 'sync'], "the real topic's sync session");
    // The peer broker syncs it from its side too: no refusal.
    const log = new ClientLog(stream.topic);
    d.send('peer', { type: 'sync', topics: [stream.topic], message: encodeSyncStart(log) });
    assert.ok(!types(d.take('peer')).some((t) => t.startsWith('error')));
  });
});

function encodeSyncStart(log: ClientLog): Uint8Array {
  return new SyncSession(log.source).start()[0]!;
}
