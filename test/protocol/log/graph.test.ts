import assert from 'node:assert/strict';
import { CommitGraph } from '../../../protocol/src/log/graph.js';
import type { CommitId } from '../../../protocol/src/log/ids.js';
import { prng } from '../../../protocol/sim/prng.js';

const id = (n: number): CommitId => `c${n}` as CommitId;

/** Reference: strict causal past of `b` by a full walk. */
function strictPast(g: CommitGraph, b: CommitId): Set<CommitId> {
  return g.ancestorsOf(g.deps(b));
}

describe('log/CommitGraph', () => {
  it('keeps heads, topological order and deps', () => {
    const g = new CommitGraph();
    assert.equal(g.add(id(0), []), true);
    assert.equal(g.add(id(0), []), false);
    g.add(id(1), [id(0)]);
    g.add(id(2), [id(0)]);
    assert.deepEqual(g.heads(), [id(1), id(2)]);
    g.add(id(3), [id(1), id(2)]);
    assert.deepEqual(g.heads(), [id(3)]);
    assert.deepEqual(g.topological(), [id(0), id(1), id(2), id(3)]);
    assert.deepEqual(g.deps(id(3)), [id(1), id(2)]);
    assert.equal(g.indexOf(id(2)), 2);
    assert.equal(g.indexOf(id(9)), -1);
    assert.throws(() => g.add(id(5), [id(4)]), RangeError);
    assert.deepEqual(g.notIn([id(1)]), [id(2), id(3)]);
  });

  it('isAncestor is strict and false for unknown commits', () => {
    const g = new CommitGraph();
    g.add(id(0), []);
    g.add(id(1), [id(0)]);
    assert.equal(g.isAncestor(id(0), id(1)), true);
    assert.equal(g.isAncestor(id(1), id(0)), false);
    assert.equal(g.isAncestor(id(1), id(1)), false);
    assert.equal(g.isAncestor(id(7), id(1)), false);
    assert.equal(g.isAncestor(id(0), id(7)), false);
    assert.equal(g.isAncestorOfAny(id(1), [id(1)]), true);
  });

  it('isAncestor agrees with a full walk on random DAGs, asked while the graph grows', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = prng(seed);
      const g = new CommitGraph();
      g.add(id(0), []);
      // A few branches that grow apart for a while (long chains) and merge now and then.
      const tips: CommitId[] = [id(0)];
      let n = 1;
      for (let step = 0; step < 400; step++) {
        const roll = r();
        let deps: CommitId[];
        if (roll < 0.05 && tips.length > 1) {
          // Merge two branches.
          const i = Math.floor(r() * tips.length);
          let j = Math.floor(r() * tips.length);
          if (j === i) j = (j + 1) % tips.length;
          deps = [tips[i]!, tips[j]!];
          tips.splice(Math.max(i, j), 1);
          tips[Math.min(i, j)] = id(n);
        } else if (roll < 0.1) {
          // Fork from some earlier commit.
          deps = [id(Math.floor(r() * n))];
          tips.push(id(n));
        } else {
          // Extend a branch (unequal lengths on purpose: branch 0 grows fastest).
          const i = r() < 0.5 ? 0 : Math.floor(r() * tips.length);
          deps = [tips[i]!];
          tips[i] = id(n);
        }
        g.add(id(n), deps);
        n++;
        // Ask about the newest commit and a random one, against tips and random commits,
        // so answers remembered from earlier searches are reused on a grown graph.
        for (let q = 0; q < 6; q++) {
          const b = q < 3 ? id(n - 1) : id(Math.floor(r() * n));
          const a = q % 2 === 0 ? tips[Math.floor(r() * tips.length)]! : id(Math.floor(r() * n));
          const want = strictPast(g, b).has(a);
          assert.equal(g.isAncestor(a, b), want, `seed ${seed}: isAncestor(${a}, ${b})`);
        }
      }
      // Finally every pair among a sample.
      for (let q = 0; q < 300; q++) {
        const a = id(Math.floor(r() * n));
        const b = id(Math.floor(r() * n));
        assert.equal(g.isAncestor(a, b), strictPast(g, b).has(a), `seed ${seed}: isAncestor(${a}, ${b})`);
      }
    }
  });

  it('concurrentWith agrees with full walks on random DAGs', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = prng(1000 + seed);
      const g = new CommitGraph();
      g.add(id(0), []);
      let n = 1;
      for (; n < 200; n++) {
        // One to three dependencies among the last 30 commits: branches that diverge and merge.
        const deps = new Set<CommitId>();
        const count = 1 + Math.floor(r() * 3);
        for (let k = 0; k < count; k++) deps.add(id(Math.max(0, n - 1 - Math.floor(r() * 30))));
        g.add(id(n), [...deps]);
      }
      for (let q = 0; q < 40; q++) {
        const commit = id(Math.floor(r() * n));
        const heads = [id(Math.floor(r() * n)), id(Math.floor(r() * n))];
        const past = strictPast(g, commit);
        const want = [...g.ancestorsOf(heads)].filter((c) => c !== commit && !past.has(c)).sort();
        assert.deepEqual([...g.concurrentWith(commit, heads)].sort(), want, `seed ${seed}: concurrentWith(${commit}, ${heads.join()})`);
      }
    }
  });

  it('a branch merged later reaches a tip it was remembered not to reach', () => {
    const g = new CommitGraph();
    const c = (s: string): CommitId => s as CommitId;
    g.add(c('root'), []);
    g.add(c('a'), [c('root')]);
    for (let i = 0; i < 100; i++) g.add(c(`b${i}`), [c(i === 0 ? 'root' : `b${i - 1}`)]);
    assert.equal(g.isAncestor(c('a'), c('b99')), false);
    assert.equal(g.isAncestor(c('a'), c('b50')), false);
    g.add(c('m'), [c('b99'), c('a')]);
    g.add(c('after'), [c('m')]);
    assert.equal(g.isAncestor(c('a'), c('after')), true);
    assert.equal(g.isAncestor(c('a'), c('b99')), false);
    assert.equal(g.isAncestor(c('b50'), c('after')), true);
  });

  it('asks about a short branch tip from every commit of a long concurrent branch in linear time', () => {
    // Branch A: 2,000 commits; branch B (inserted after): 20,000. B's commits from the
    // 2,001st on have a greater generation and index than A's tip, so neither bound
    // answers; a search per commit walking all of B would be quadratic (about a minute).
    const g = new CommitGraph();
    const root = 'root' as CommitId;
    g.add(root, []);
    let a = root;
    for (let i = 0; i < 2_000; i++) {
      g.add(`a${i}` as CommitId, [a]);
      a = `a${i}` as CommitId;
    }
    let b = root;
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) {
      g.add(`b${i}` as CommitId, [b]);
      b = `b${i}` as CommitId;
      assert.equal(g.isAncestor(a, b), false);
      assert.equal(g.isAncestor(b, a), false);
    }
    const merge = 'merge' as CommitId;
    g.add(merge, [a, b]);
    assert.equal(g.isAncestor(a, merge), true);
    assert.equal(g.isAncestor('a0' as CommitId, merge), true);
    assert.equal(g.isAncestor('b0' as CommitId, merge), true);
    assert.equal(g.isAncestor('b0' as CommitId, a), false);
    const ms = performance.now() - t0;
    assert.ok(ms < 5_000, `${ms.toFixed(0)} ms`);
  });
});
