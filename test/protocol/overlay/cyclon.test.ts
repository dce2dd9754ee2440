/**
 * CYCLON: the shuffle's rules (oldest partner, own fresh descriptor, replacement of what
 * was sent), and at 500 nodes a view whose in-degrees stay near the view size and whose
 * survivors stay connected after half the nodes die.
 */
import assert from 'node:assert/strict';
import { Cyclon, Profile, type Descriptor } from '../../../protocol/src/overlay/index.js';
import { indegreeStats, largestComponentShare } from '../../../protocol/sim/overlay/graph-metrics.js';
import { prng } from '../../../protocol/sim/prng.js';

const profile = Profile.fromTopics([]);
const d = (id: string, age = 0): Descriptor => ({ id, age, profile });

describe('overlay: CYCLON', () => {
  it('shuffles with its oldest neighbour, sending its own fresh descriptor and shuffleLength - 1 others', () => {
    const cyclon = new Cyclon(() => d('me'), prng(1), { viewSize: 5, shuffleLength: 3 });
    cyclon.seed([d('a', 3), d('b', 7), d('c', 1), d('e', 0)]);
    const request = cyclon.shuffle();
    assert.equal(request?.to, 'b');
    assert.equal(request?.descriptors.length, 3);
    assert.deepEqual(request?.descriptors[0], d('me'));
    assert.ok(!cyclon.has('b'), 'the partner leaves the view (dead partners go after one shuffle)');
    assert.ok(cyclon.peers().every((p) => p.age >= 1), 'the view aged');
  });

  it('replaces what it sent with what it receives, never taking itself or a known id', () => {
    const cyclon = new Cyclon(() => d('me'), prng(2), { viewSize: 3, shuffleLength: 2 });
    cyclon.seed([d('a'), d('b'), d('c')]);
    const request = cyclon.shuffle();
    assert.ok(request);
    const sent = request.descriptors[1]?.id;
    cyclon.complete(request.to, [d('me'), d('x'), d('y')]);
    const ids = cyclon.peers().map((p) => p.id);
    assert.equal(ids.length, 3);
    assert.ok(ids.includes('x') && ids.includes('y') && !ids.includes('me') && !ids.includes(String(sent)), ids.join(','));
  });

  it('ignores an answer from anyone but its partner', () => {
    const cyclon = new Cyclon(() => d('me'), prng(3), { viewSize: 3, shuffleLength: 2 });
    cyclon.seed([d('a'), d('b')]);
    cyclon.shuffle();
    cyclon.complete('stranger', [d('x')]);
    assert.ok(!cyclon.has('x'));
  });

  it('holds at most shuffleLength entries from one sender, however many shuffles it sends', () => {
    const cyclon = new Cyclon(() => d('me'), prng(4), { viewSize: 20, shuffleLength: 8 });
    cyclon.seed(Array.from({ length: 20 }, (_, i) => d(`h${i}`)));
    for (let i = 0; i < 50; i++) cyclon.answer('flooder', [d('flooder'), ...Array.from({ length: 31 }, (_, j) => d(`sybil${(i * 31 + j) % 64}`))]);
    const hostile = cyclon.peers().filter((p) => p.id === 'flooder' || p.id.startsWith('sybil')).length;
    assert.equal(hostile, 8, `${hostile} of ${cyclon.peers().length} entries`);
    assert.equal(cyclon.peers().length, 20, 'the rest are the honest entries it had');
  });

  it('at 500 nodes: in-degree near the view size, and connected after half die', () => {
    const random = prng(11);
    const n = 500;
    const nodes = new Map<string, Cyclon>();
    for (let i = 0; i < n; i++) nodes.set(`n${i}`, new Cyclon(() => d(`n${i}`), random, { viewSize: 20, shuffleLength: 8 }));
    // A chain bootstrap: each node knows only the previous one.
    for (let i = 1; i < n; i++) nodes.get(`n${i}`)?.seed([d(`n${i - 1}`)]);
    for (let round = 0; round < 50; round++) {
      for (const [id, node] of nodes) {
        const request = node.shuffle();
        const partner = request && nodes.get(request.to);
        if (!request || !partner) continue;
        node.complete(request.to, partner.answer(id, request.descriptors));
      }
    }
    const views = new Map([...nodes].map(([id, c]) => [id, c.peers().map((p) => p.id)]));
    const stats = indegreeStats(views);
    assert.ok(stats.mean > 19, `mean in-degree ${stats.mean}`);
    assert.ok(stats.sd < 5, `in-degree standard deviation ${stats.sd.toFixed(2)}`);
    const dead = new Set([...nodes.keys()].filter(() => random() < 0.5));
    assert.ok(largestComponentShare(views, dead) > 0.99);
  });
});
