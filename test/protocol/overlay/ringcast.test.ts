/**
 * RingCast's forwarding rule, including the two defects of the reference implementation
 * (ocaml-p2p's p2p_ringcast.ml): it chose the direction by comparing the sender's id with
 * its own, which sends the event BACK to a predecessor sender (and breaks at the ring's
 * wrap-around and for shortcut senders). These tests fail on that rule.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ringcastTargets, SeenEvents, TopicRing } from '../../../protocol/src/overlay/index.js';
import { prng } from '../../../protocol/sim/prng.js';

/** `me`'s ring over `ids` (every id a confirmed subscriber), 2 slots a side, no shortcuts unless given. */
function ringOf(me: string, ids: readonly string[], shortcuts = 4): TopicRing {
  const random = prng(1);
  const ring = new TopicRing('t', me, 2, shortcuts);
  for (const id of ids) ring.offer(id, random);
  return ring;
}

const firstTargets = (f: ReturnType<typeof ringcastTargets>) => f.map((x) => x.targets[0]);

describe('overlay: topic rings', () => {
  it('keeps the nearest successors and predecessors by id, wrapping around', () => {
    const ring = ringOf('m', ['a', 'c', 'k', 'n', 'p', 'z']);
    assert.deepEqual(ring.successors, ['n', 'p']);
    assert.deepEqual(ring.predecessors, ['k', 'c']);
    const top = ringOf('y', ['a', 'b', 'c', 'x']);
    assert.deepEqual(top.successors, ['a', 'b'], 'past the largest id the ring continues at the smallest');
    assert.deepEqual(top.predecessors, ['x', 'c']);
  });

  it('removes a node everywhere', () => {
    const ring = ringOf('m', ['a', 'k', 'n', 'z']);
    ring.remove('n');
    assert.ok(!ring.has('n'));
    assert.equal(ring.successors[0], 'z');
  });
});

describe('overlay: RingCast forwarding', () => {
  const random = prng(5);

  it('an event from the predecessor goes to the successor side and never back to the sender', () => {
    // The sender 'k' has a SMALLER id than 'm': an id comparison reads it as the successor.
    const ring = ringOf('m', ['c', 'k', 'n', 'p'], 0);
    const targets = firstTargets(ringcastTargets(ring, 'k', 3, random));
    assert.ok(targets.includes('n'), `successor n missing from ${targets.join(',')}`);
    assert.ok(!targets.includes('k'), 'sent back to the sender');
  });

  it('an event from the successor goes to the predecessor side', () => {
    const ring = ringOf('m', ['c', 'k', 'n', 'p'], 0);
    const targets = firstTargets(ringcastTargets(ring, 'n', 3, random));
    assert.equal(targets[0], 'k');
    assert.ok(!targets.includes('n'));
  });

  it('at the wrap-around, a predecessor with a LARGER id is still the predecessor', () => {
    // Ring a < b < ... < y: 'a' is the successor of 'y', and 'y' the predecessor of 'a'.
    const ring = ringOf('a', ['b', 'c', 'x', 'y'], 0);
    assert.deepEqual(ring.predecessors[0], 'y');
    const targets = firstTargets(ringcastTargets(ring, 'y', 2, random));
    assert.equal(targets[0], 'b', 'from its predecessor y, a forwards to its successor b');
    assert.ok(!targets.includes('y'));
  });

  it('an event from a shortcut or published here goes to both ring neighbours and F-2 random subscribers', () => {
    const ring = ringOf('m', ['c', 'd', 'e', 'k', 'n', 'p', 'q', 'r']);
    for (const from of [undefined, 'd']) {
      const forwards = ringcastTargets(ring, from, 4, random);
      const targets = firstTargets(forwards);
      assert.ok(targets.includes('n') && targets.includes('k'), `both sides from ${from}: ${targets.join(',')}`);
      assert.equal(forwards.length, 4);
    }
  });

  it('from a ring neighbour: one ring target and F-1 random subscribers; ring targets carry their fallbacks', () => {
    const ring = ringOf('m', ['c', 'd', 'e', 'k', 'n', 'p', 'q', 'r']);
    const forwards = ringcastTargets(ring, 'k', 4, random);
    assert.equal(forwards.length, 4);
    assert.deepEqual(forwards[0]?.targets.slice(0, 2), ['n', 'p'], 'the nearest successor first, the next as fallback');
  });

  it('a side whose neighbours are all gone still sends: the fallbacks go on with the shortcuts on that side, in ring order', () => {
    const ring = ringOf('m', ['k', 'e', 'n', 'p', 'c', 'q', 'r']);
    assert.deepEqual(ring.shortcuts.slice().sort(), ['c', 'q', 'r']);
    const forwards = ringcastTargets(ring, 'k', 3, random);
    assert.deepEqual(forwards[0]?.targets, ['n', 'p', 'q', 'r', 'c'], 'clockwise: n, p, then q, r and past the wrap c');
    const back = ringcastTargets(ring, 'n', 3, random);
    assert.deepEqual(back[0]?.targets, ['k', 'e', 'c', 'r', 'q'], 'counter-clockwise: k, e, then c and past the wrap r, q');
  });

  it('an event from a FARTHER neighbour also goes to the nearer ones on that side, which the sender skipped', () => {
    // 'p' is m's second successor but names m as its predecessor: it does not know 'n'
    // (a newcomer between them), so 'n' hears of the event only from m.
    const ring = ringOf('m', ['e', 'k', 'n', 'p'], 0);
    for (let seed = 0; seed < 20; seed++) {
      const targets = firstTargets(ringcastTargets(ring, 'p', 2, prng(seed)));
      assert.ok(targets.includes('n'), `seed ${seed}: skipped successor n missing from ${targets.join(',')}`);
      assert.ok(targets.includes('k'), 'and on counter-clockwise as before');
    }
  });

  it('never returns the sender or a node twice (property)', () => {
    const ids = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(ids, fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 1000 }), (all, fanout, seed) => {
        const [me, ...others] = all;
        if (me === undefined) return;
        const ring = ringOf(me, others);
        const from = others[seed % Math.max(1, others.length)];
        const targets = firstTargets(ringcastTargets(ring, from, fanout, prng(seed)));
        assert.ok(!targets.includes(me));
        if (from !== undefined) assert.ok(!targets.includes(from));
        assert.equal(new Set(targets).size, targets.length);
        // F, and at most slots - 1 more: the nearer neighbours a farther one skipped.
        assert.ok(targets.length <= fanout + 1);
      }),
    );
  });

  it('drops duplicates by event id, forgetting the oldest beyond its capacity', () => {
    const seen = new SeenEvents(2);
    assert.ok(seen.firstTime('a'));
    assert.ok(!seen.firstTime('a'));
    seen.firstTime('b');
    seen.firstTime('c');
    assert.ok(seen.firstTime('a'), 'a was forgotten');
  });
});
