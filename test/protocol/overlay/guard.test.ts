/**
 * Bounded messages and the guard: malformed or oversized gossip and flooding get their
 * sender banned, its messages ignored and its id kept out of every view.
 */
import assert from 'node:assert/strict';
import {
  checkMessage,
  FloodingError,
  MalformedMessageError,
  OVERLAY_KIND,
  OverlayNode,
  OversizedMessageError,
  Profile,
  topicKey,
  UnsupportedMessageError,
  type Descriptor,
  type OverlayMessage,
} from '../../../protocol/src/overlay/index.js';
import { prng } from '../../../protocol/sim/prng.js';

const profile = Profile.fromTopics([topicKey('t')]);
const d = (id: string, age = 0): Descriptor => ({ id, age, profile });
const shuffle = (descriptors: Descriptor[]): OverlayMessage => ({ kind: 'cyclon-request', descriptors });

describe('overlay: message bounds', () => {
  it('accepts a well-formed message', () => {
    assert.equal(checkMessage(shuffle([d('a'), d('b')])), undefined);
    assert.equal(checkMessage({ kind: 'event', topic: 't', event: 'e1', hops: 3 }), undefined);
  });

  it('refuses too many ids, long names, big profiles and old ages as oversized', () => {
    const many = Array.from({ length: 33 }, (_, i) => d(`n${i}`));
    assert.ok(checkMessage(shuffle(many)) instanceof OversizedMessageError);
    assert.ok(checkMessage({ kind: 'ring-request', topic: 'x'.repeat(129), ids: [], subscribed: true }) instanceof OversizedMessageError);
    const huge = new Profile(new Uint32Array(4096), 3);
    assert.ok(checkMessage(shuffle([{ id: 'a', age: 0, profile: huge }])) instanceof OversizedMessageError);
    assert.ok(checkMessage(shuffle([d('a', 5000)])) instanceof OversizedMessageError);
    assert.ok(checkMessage(shuffle([d('a')]), { maxIds: 0 }) instanceof OversizedMessageError);
  });

  it('refuses malformed values with a MalformedMessageError', () => {
    assert.ok(checkMessage(shuffle([d('a'), d('a')])) instanceof MalformedMessageError);
    assert.ok(checkMessage(shuffle([d('')])) instanceof MalformedMessageError);
    assert.ok(checkMessage(shuffle([d('a', -1)])) instanceof MalformedMessageError);
    assert.ok(checkMessage(shuffle([{ id: 'a', age: 0, profile: new Profile(new Uint32Array(3), 3) }])) instanceof MalformedMessageError);
    assert.ok(checkMessage({ kind: 'event', topic: 't', event: 'e', hops: 1.5 }) instanceof MalformedMessageError);
    assert.ok(checkMessage({ kind: 'nonsense' } as unknown as OverlayMessage) instanceof MalformedMessageError);
  });
});

describe('overlay: the guard', () => {
  it('bans a node that sends an oversized message: it is dropped and its ids stay out of views', () => {
    const node = new OverlayNode('me', ['t'], prng(1));
    node.bootstrap([d('bad'), d('good')]);
    const step = node.receive('bad', shuffle(Array.from({ length: 40 }, (_, i) => d(`sybil${i}`))), 1);
    assert.ok(step.rejected instanceof OversizedMessageError);
    assert.deepEqual(step.send, []);
    assert.ok(!node.cyclon.has('bad'), 'the sender is dropped from the view');
    // Later messages from it are ignored, and others naming it do not bring it back.
    assert.deepEqual(node.receive('bad', shuffle([d('bad2')]), 2).send, []);
    node.receive('good', shuffle([d('good'), d('bad'), d('fine')]), 2);
    const ids = node.cyclon.peers().map((p) => p.id);
    assert.ok(!ids.includes('bad') && !ids.some((id) => id.startsWith('sybil')), ids.join(','));
    assert.ok(ids.includes('fine'));
  });

  it('bans a node that floods gossip beyond the rate per round', () => {
    const node = new OverlayNode('me', ['t'], prng(2), { guard: { maxGossipPerRound: 5 } });
    let rejected;
    for (let i = 0; i < 6; i++) rejected = node.receive('flooder', shuffle([d(`f${i}`)]), 7).rejected;
    assert.ok(rejected instanceof FloodingError);
    assert.ok(node.guard.isBanned('flooder'));
    assert.ok(!node.cyclon.peers().some((p) => p.id === 'flooder'));
    // A new round resets the count for others.
    for (let i = 0; i < 5; i++) assert.equal(node.receive('polite', shuffle([d(`p${i}`)]), 8 + i).rejected, undefined);
  });

  it('counts messages of tags it does not know against the gossip rate: a flood of them is banned like any other', () => {
    const node = new OverlayNode('me', ['t'], prng(8), { guard: { maxGossipPerRound: 24 } });
    const unknown = new Uint8Array([OVERLAY_KIND, 2, 42, 0]);
    for (let i = 0; i < 12; i++) assert.equal(node.receive('flooder', shuffle([d('flooder')]), 1).rejected, undefined);
    for (let i = 0; i < 12; i++) assert.ok(node.receiveBytes('flooder', unknown, 1).dropped instanceof UnsupportedMessageError, `unknown ${i} dropped`);
    const step = node.receiveBytes('flooder', unknown, 1);
    assert.ok(step.rejected instanceof FloodingError, `the 25th gossip message of the round: ${String(step.rejected)}`);
    assert.ok(node.guard.isBanned('flooder'));
    // One a round, as a newer honest node's new kind would come, is never banned.
    for (let round = 2; round < 200; round++) assert.ok(node.receiveBytes('newer', unknown, round).dropped instanceof UnsupportedMessageError);
    assert.ok(!node.guard.isBanned('newer'));
  });

  it('counts ring gossip per topic: many topics a round are fine, one topic over and over is flooding', () => {
    const node = new OverlayNode('me', ['t'], prng(6));
    for (let i = 0; i < 40; i++) assert.equal(node.receive('wide', { kind: 'ring-request', topic: `t${i}`, ids: [], subscribed: true }, 1).rejected, undefined);
    let rejected;
    for (let i = 0; i < 5; i++) rejected = node.receive('narrow', { kind: 'ring-request', topic: 't', ids: [], subscribed: true }, 1).rejected;
    assert.ok(rejected instanceof FloodingError);
  });

  it('only subscribers relay: an event on a topic the node does not carry is dropped', () => {
    const node = new OverlayNode('me', ['t'], prng(3));
    const step = node.receive('x', { kind: 'event', topic: 'other', event: 'e', hops: 1 }, 1);
    assert.deepEqual(step, { send: [] });
  });

  it('answers ring gossip for a topic it does not carry with "not subscribed", and the asker stops probing it', () => {
    const a = new OverlayNode('a', ['t'], prng(4));
    const b = new OverlayNode('b', ['u'], prng(5));
    const answer = b.receive('a', { kind: 'ring-request', topic: 't', ids: [], subscribed: true }, 1);
    assert.deepEqual(answer.send[0]?.message, { kind: 'ring-response', topic: 't', ids: [], subscribed: false });
    a.rings.offer('t', ['b']);
    a.receive('b', answer.send[0]?.message ?? shuffle([]), 1);
    assert.ok(!a.rings.ring('t')?.has('b'));
  });
});
