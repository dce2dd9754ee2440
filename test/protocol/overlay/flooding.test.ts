/**
 * A node flooded with gossip naming made-up ids (sybils): before the flooder is banned,
 * its ids hold at most what one sender may (CYCLON: `shuffleLength` of `viewSize`
 * entries, 8 of 20 = 40%, what one honest shuffle brings; VICINITY: half the view, 5 of
 * 10); at the ban every id it named that never spoke to us leaves every view (CYCLON,
 * VICINITY, the rings, URPS's sample set) and is not taken back from anyone else's gossip
 * until it speaks for itself: for good if only the flooder named it, for a quarantine of
 * 50 periods if honest nodes named it too (they may have had it from the flooder).
 */
import assert from 'node:assert/strict';
import { OverlayNode, Profile, topicKey, type Descriptor, type OverlayMessage } from '../../../protocol/src/overlay/index.js';
import { prng } from '../../../protocol/sim/prng.js';

const profile = Profile.fromTopics([topicKey('t')]);
const d = (id: string): Descriptor => ({ id, age: 0, profile });
const shuffle = (ids: string[]): OverlayMessage => ({ kind: 'cyclon-request', descriptors: ids.map(d) });
// Ring order is string order: the sybils ('mz..') sit between 'me' and every honest node ('n..').
const honest = Array.from({ length: 40 }, (_, i) => `n${i}`);
const sybils = Array.from({ length: 64 }, (_, i) => `mz${i}`);
const hostile = new Set(['flooder', ...sybils]);
const hostileIn = (ids: readonly string[]): number => ids.filter((id) => hostile.has(id)).length;

/** A node whose views an honest neighbour filled: CYCLON (20 honest), VICINITY, the ring, URPS. */
function honestNode(): OverlayNode {
  const node = new OverlayNode('me', ['t'], prng(5));
  node.bootstrap(honest.slice(0, 20).map(d));
  node.receive('n0', { kind: 'vicinity-request', descriptors: honest.slice(0, 8).map(d) }, 0);
  node.receive('n0', { kind: 'ring-request', topic: 't', ids: honest.slice(1, 9), subscribed: true }, 0);
  return node;
}

/** One gossip period: the node's own shuffle answered by an honest node, then the flooder's messages. */
function period(node: OverlayNode, p: number): void {
  for (const o of node.tick()) {
    if (o.message.kind !== 'cyclon-request') continue;
    const fresh = honest.filter((id) => id !== o.to && !node.cyclon.has(id)).slice(0, 8);
    node.receive(o.to, { kind: 'cyclon-response', descriptors: fresh.map(d) }, 1);
  }
  const named = (i: number): string[] => ['flooder', ...Array.from({ length: 31 }, (_, j) => sybils[(p * 8 + i + j) % sybils.length] ?? 'mz0')];
  // 4 shuffles, 4 VICINITY requests and a ring request a period, all at one time (the
  // guard's buckets do not refill): with the default guard (24 sampling and clustering
  // messages a round) the 25th, in period 4, gets the flooder banned.
  for (let i = 0; i < 4; i++) node.receive('flooder', shuffle(named(i)), 1);
  for (let i = 0; i < 4; i++) node.receive('flooder', { kind: 'vicinity-request', descriptors: named(i).map(d) }, 1);
  node.receive('flooder', { kind: 'ring-request', topic: 't', ids: named(0).slice(1), subscribed: true }, 1);
}

describe('overlay: a node flooded with made-up ids', () => {
  it('holds at most 8 of 20 CYCLON entries and 5 of 10 VICINITY entries from the flooder before the ban, and none of its introductions after', () => {
    const node = honestNode();
    for (let p = 1; p <= 3; p++) {
      period(node, p);
      assert.ok(!node.guard.isBanned('flooder'), 'not banned yet');
      const cyclon = node.cyclon.peers().map((x) => x.id);
      const vicinity = node.vicinity.peers().map((x) => x.id);
      assert.ok(hostileIn(cyclon) <= 8, `period ${p}: ${hostileIn(cyclon)} of ${cyclon.length} CYCLON entries are the flooder's: ${cyclon.join(' ')}`);
      assert.ok(hostileIn(vicinity) <= 5, `period ${p}: ${hostileIn(vicinity)} of ${vicinity.length} VICINITY entries are the flooder's: ${vicinity.join(' ')}`);
      assert.ok(cyclon.length >= 18, `the view stays full: ${cyclon.length}`);
    }
    assert.ok(hostileIn(node.cyclon.peers().map((x) => x.id)) > 0, 'the flood did get in (the bound is not vacuous)');
    const ring = node.rings.ring('t');
    assert.ok(ring && hostileIn(ring.known()) > 0, 'sybils took the nearest ring slots');

    period(node, 4);
    assert.ok(node.guard.isBanned('flooder'), 'banned in period 4');
    assert.deepEqual(node.cyclon.peers().map((x) => x.id).filter((id) => hostile.has(id)), [], 'CYCLON');
    assert.deepEqual(node.vicinity.peers().map((x) => x.id).filter((id) => hostile.has(id)), [], 'VICINITY');
    assert.deepEqual(node.rings.ring('t')?.known().filter((id) => hostile.has(id)), [], 'the ring');
    assert.deepEqual(node.urps.sampleSet().filter((id) => hostile.has(id)), [], "URPS's sample set");
    assert.ok(node.cyclon.peers().length >= 10, `honest entries remain: ${node.cyclon.peers().length}`);
  });

  it('keeps what spoke to it; takes back what honest nodes named too after the quarantine, what only the flooder named once it speaks itself', () => {
    const node = new OverlayNode('me', ['t'], prng(6));
    node.bootstrap([d('n1')]);
    node.receive('flooder', shuffle(['flooder', 'mz0', 'n30', 'n1']), 1);
    node.receive('n1', shuffle(['n1', 'n30']), 1);
    assert.ok(node.cyclon.has('mz0') && node.cyclon.has('n30'));
    node.receive('flooder', shuffle(Array.from({ length: 40 }, (_, i) => `mz${i + 1}`)), 1); // oversized: banned
    assert.ok(!node.cyclon.has('flooder') && !node.cyclon.has('mz0') && !node.cyclon.has('n30'), 'the flooder and what it named that never spoke here are gone');
    assert.ok(node.cyclon.has('n1'), 'n1 spoke here itself');
    node.tick();
    node.receive('n1', shuffle(['n1', 'n30', 'mz0']), 2);
    assert.ok(!node.cyclon.has('n30') && !node.cyclon.has('mz0'), 'not taken back from an honest node that passes them on');
    for (let i = 0; i < 50; i++) node.tick();
    node.receive('n1', shuffle(['n1', 'n30', 'mz0']), 3);
    assert.ok(node.cyclon.has('n30'), 'n1 named n30 too: after the quarantine it may come back');
    assert.ok(!node.cyclon.has('mz0'), 'only the flooder named mz0: distrusted for good');
    node.receive('mz0', shuffle(['mz0']), 3);
    assert.ok(node.cyclon.has('mz0'), 'it exists after all: it sent a message itself');
  });

  it('merges one unsolicited shuffle per sender and period, and answers the others', () => {
    const node = new OverlayNode('me', ['t'], prng(7));
    node.bootstrap(honest.slice(0, 20).map(d));
    const first = node.receive('flooder', shuffle(['flooder', ...sybils.slice(0, 4)]), 1);
    const second = node.receive('flooder', shuffle(sybils.slice(4, 12)), 1);
    assert.equal(first.send.length, 1);
    assert.equal(second.send.length, 1, 'answered');
    assert.equal(hostileIn(node.cyclon.peers().map((x) => x.id)), 5, 'only the first was merged');
    node.tick(); // its own shuffle takes its oldest neighbour out of the view, maybe one of those
    node.receive('flooder', shuffle(sybils.slice(4, 7)), 1);
    const view = new Set(node.cyclon.peers().map((x) => x.id));
    assert.ok(sybils.slice(4, 7).every((id) => view.has(id)), 'the next period the next one is');
  });
});
