/**
 * The broker's side of the overlay (docs/OVERLAY.md, "Brokers use it"): the overlay channel
 * gets every new event of a carried topic, an event from the overlay is checked and stored
 * like any other, and a link to a ring neighbour syncs only topics both carry.
 */
import assert from 'node:assert/strict';
import type { ChannelId } from '../../../protocol/src/broker/index.js';
import { decodeCommitEnvelope } from '../../../protocol/src/log/commit.js';
import { toHex } from '../../../protocol/src/crypto/index.js';
import { Driver, makeStream, types } from './helpers.js';

function connectRingLink(d: Driver, id: string): void {
  d.inbox.set(id, []);
  d.apply(d.broker.connect(id as ChannelId, d.now, { ringLink: true }));
}

function attachOverlay(d: Driver): string[] {
  d.inbox.set('overlay', []);
  const out = d.broker.attachOverlay('overlay' as ChannelId);
  d.apply(out);
  return out.carried.map(toHex);
}

describe('broker: the overlay and ring links', () => {
  it('the overlay channel carries every topic a member subscribes to or that is stored, and gets each new event once', () => {
    const a = makeStream(3, 'a.md');
    const b = makeStream(2, 'b.md');
    const d = new Driver();
    d.connect('m');
    d.send('m', { type: 'event', commit: a.commits[0]! });
    assert.deepEqual(attachOverlay(d), [toHex(a.topic)], 'a stored topic is carried at once');
    const out = d.broker.receive('m' as ChannelId, new Uint8Array(0), d.now);
    assert.equal(out.carried.length, 0);
    d.send('m', { type: 'subscribe', topics: [b.topic] });
    d.send('m', { type: 'event', commit: a.commits[1]! });
    d.send('m', { type: 'event', commit: a.commits[1]! }); // a duplicate goes nowhere
    const events = d.take('overlay').filter((m) => m.type === 'event');
    assert.equal(events.length, 1);
  });

  it('an event from the overlay is stored, forwarded to members, not back to the overlay; valid only when held', () => {
    const a = makeStream(2, 'a.md');
    const d = new Driver();
    attachOverlay(d);
    d.connect('m');
    d.send('m', { type: 'subscribe', topics: [a.topic] });
    d.take('m');
    const commit = a.commits[1]!;
    const env = decodeCommitEnvelope(commit);
    const { out, valid } = d.broker.overlayEvent(commit, env.id, toHex(env.topic), d.now);
    d.apply(out);
    assert.equal(valid, true);
    assert.deepEqual(types(d.take('m')), ['event']);
    assert.equal(d.take('overlay').filter((m) => m.type === 'event').length, 0);
    assert.ok(d.broker.hasCommit(a.topic, env.id));
    const junk = commit.slice();
    junk[junk.length - 1]! ^= 1; // the topic signature no longer holds
    const refused = d.broker.overlayEvent(junk, decodeCommitEnvelope(junk).id, toHex(env.topic), d.now);
    assert.equal(refused.valid, false);
  });

  it('a ring link syncs a topic both carry, refuses to take on another, and gets no live forwards', () => {
    const a = makeStream(3, 'a.md');
    const other = makeStream(2, 'other.md');
    const d = new Driver();
    attachOverlay(d);
    d.connect('m');
    d.send('m', { type: 'event', commit: a.commits[0]! });
    connectRingLink(d, 'link');
    d.send('link', { type: 'hello', role: 'broker', software: 'test' });
    assert.deepEqual(types(d.take('link')), ['hello'], 'no subscription to every topic, unlike a peer broker');
    // The neighbour offers a topic this broker does not carry: nothing is taken on.
    d.send('link', { type: 'subscribe', topics: [other.topic] });
    d.send('link', { type: 'event', commit: other.commits[0]! });
    assert.equal(d.broker.topicSummaries().some((t) => t.topic === toHex(other.topic)), false);
    // A topic both carry: subscribed back and synced.
    d.take('link');
    d.send('link', { type: 'subscribe', topics: [a.topic] });
    assert.deepEqual(types(d.take('link')), ['subscribed', 'subscribe', 'sync']);
    d.send('m', { type: 'event', commit: a.commits[1]! });
    assert.equal(d.take('link').filter((m) => m.type === 'event').length, 0, 'events travel the ring, not the link');
  });
});
