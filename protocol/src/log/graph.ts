/**
 * The causal DAG of merged commits. A commit is added only after all of its
 * dependencies, so insertion order is a topological order; each node remembers its
 * position, which bounds ancestry searches (an ancestor always has a smaller one).
 *
 * Searches are also bounded by generation numbers (1 + the greatest generation of
 * the dependencies; an ancestor always has a smaller one too). After an offline
 * divergence one branch is inserted after the other, so the insertion index does not
 * tell its commits apart from the other branch's tip, but the generation does for
 * every commit not deeper than that tip: asking about it is O(1). For the rest (a
 * long branch against a shorter one's tip) a failed search remembers, for the
 * ancestor asked about, the commits it found not to have it in their past (ancestry
 * never changes), so the next search, from a descendant, stops there instead of
 * walking the branch again: asking about one tip from each commit of a branch in turn
 * is linear, not quadratic. A successful search remembers the commit asked about, so
 * asking about one old commit (an epoch's announcement) from each new commit in turn is
 * linear too. At most REMEMBERED_ANCESTORS such bit sets of each kind are kept, each
 * at most one bit per commit inserted after its ancestor.
 */
import type { CommitId } from './ids.js';

interface GraphNode {
  readonly deps: readonly CommitId[];
  readonly index: number;
  /** 0 for a commit without dependencies, else 1 + the greatest generation of its dependencies. */
  readonly gen: number;
}

/**
 * For one ancestor `a`: which commits are known not to have `a` in their causal past
 * (notAbove), or known to have it (above), as a bit set over insertion indices from a's
 * own index on (others cannot have it).
 */
interface IndexSet {
  readonly base: number;
  bits: Uint8Array;
}

/** Searches that visit this many commits (and find nothing) are remembered. */
const REMEMBER_FROM = 16;
/** How many ancestors' sets of each kind are kept (least recently used dropped first). */
const REMEMBERED_ANCESTORS = 64;

export class CommitGraph {
  private readonly nodes = new Map<CommitId, GraphNode>();
  private readonly order: CommitId[] = [];
  private readonly headSet = new Set<CommitId>();
  /** Results of failed ancestry searches, by ancestor, in least recently used order. */
  private readonly notAbove = new Map<CommitId, IndexSet>();
  /**
   * Results of successful searches, by ancestor: the commit asked about has it. The next
   * search, from a descendant, stops at that commit: asking whether an old commit (the one
   * that announced a key epoch) is in the past of each new commit in turn is linear.
   */
  private readonly above = new Map<CommitId, IndexSet>();

  get size(): number {
    return this.nodes.size;
  }

  has(id: CommitId): boolean {
    return this.nodes.has(id);
  }

  deps(id: CommitId): readonly CommitId[] {
    const n = this.nodes.get(id);
    if (!n) throw new RangeError(`unknown commit ${id}`);
    return n.deps;
  }

  indexOf(id: CommitId): number {
    return this.nodes.get(id)?.index ?? -1;
  }

  /** Adds a commit whose dependencies are all present. Returns false if it was already there. */
  add(id: CommitId, deps: readonly CommitId[]): boolean {
    if (this.nodes.has(id)) return false;
    for (const d of deps) {
      if (!this.nodes.has(d)) throw new RangeError(`dependency ${d} of ${id} is not in the graph`);
    }
    let gen = 0;
    for (const d of deps) gen = Math.max(gen, this.nodes.get(d)!.gen + 1);
    this.nodes.set(id, { deps, index: this.order.length, gen });
    this.order.push(id);
    for (const d of deps) this.headSet.delete(d);
    this.headSet.add(id);
    return true;
  }

  /** Current heads, sorted (commits nothing else depends on). */
  heads(): CommitId[] {
    return [...this.headSet].sort();
  }

  /** Every commit in a topological order (dependencies first). */
  topological(): readonly CommitId[] {
    return this.order;
  }

  /**
   * A topological order that is the same on every replica holding the same commits: by
   * generation, ties by id (insertion order depends on the order commits arrived in).
   */
  canonicalOrder(): CommitId[] {
    return [...this.order].sort((a, b) => this.nodes.get(a)!.gen - this.nodes.get(b)!.gen || (a < b ? -1 : a > b ? 1 : 0));
  }

  /** True if `a` comes before `b` in canonicalOrder() (by generation, ties by id). */
  canonicallyBefore(a: CommitId, b: CommitId): boolean {
    const ga = this.nodes.get(a)!.gen;
    const gb = this.nodes.get(b)!.gen;
    return ga < gb || (ga === gb && a < b);
  }

  /** True if `a` is strictly in the causal past of `b`. */
  isAncestor(a: CommitId, b: CommitId): boolean {
    const na = this.nodes.get(a);
    const nb = this.nodes.get(b);
    if (!na || !nb || na.index >= nb.index || na.gen >= nb.gen) return false;
    const memo = recall(this.notAbove, a);
    if (memo && isSet(memo, nb.index)) return false;
    const above = recall(this.above, a);
    if (above && isSet(above, nb.index)) return true;
    const found = (): boolean => {
      this.remember(this.above, a, na.index, above, [nb.index]);
      return true;
    };
    // Commits searched below: none of them reaches `a` if the search fails.
    const searched: number[] = [nb.index];
    const seen = new Set<CommitId>();
    const stack: CommitId[] = [...nb.deps];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === a) return found();
      if (seen.has(id)) continue;
      seen.add(id);
      const n = this.nodes.get(id)!;
      if (n.index < na.index || n.gen <= na.gen) continue;
      if (memo && isSet(memo, n.index)) continue;
      if (above && isSet(above, n.index)) return found();
      searched.push(n.index);
      for (const d of n.deps) stack.push(d);
    }
    if (memo || searched.length >= REMEMBER_FROM) this.remember(this.notAbove, a, na.index, memo, searched);
    return false;
  }

  /** Records in `store` (notAbove or above) that each of `searched` (insertion indices) does not have, or has, `a` in its causal past. */
  private remember(store: Map<CommitId, IndexSet>, a: CommitId, base: number, memo: IndexSet | undefined, searched: readonly number[]): void {
    if (!memo) {
      memo = { base, bits: new Uint8Array(0) };
      store.set(a, memo);
      if (store.size > REMEMBERED_ANCESTORS) store.delete(store.keys().next().value!);
    }
    let top = 0;
    for (const i of searched) top = Math.max(top, i - base);
    if (top >> 3 >= memo.bits.length) {
      // Grow geometrically, but never past the graph's current size.
      const want = Math.max((top >> 3) + 1, Math.min(memo.bits.length * 2, ((this.order.length - base) >> 3) + 1));
      const bits = new Uint8Array(want);
      bits.set(memo.bits);
      memo.bits = bits;
    }
    for (const i of searched) memo.bits[(i - base) >> 3]! |= 1 << ((i - base) & 7);
  }

  /**
   * The commits reachable from `heads` (inclusive) that are neither `commit` nor in its
   * causal past: those concurrent with it, for a replica holding `heads` that takes in
   * `commit`. Walks down from both sides in descending generation (a commit's descendants
   * all have greater ones, so its marks are final when it is reached), as Git finds merge
   * bases, and stops when nothing left to walk is reachable from `heads` alone: it visits
   * only the commits since the two sides diverged.
   */
  concurrentWith(commit: CommitId, heads: readonly CommitId[]): Set<CommitId> {
    const HEADS = 1;
    const PAST = 2;
    const marks = new Map<CommitId, number>();
    const queue: CommitId[] = []; // ascending generation: the next to walk is the last
    let headsOnly = 0;
    const mark = (id: CommitId, add: number): void => {
      const was = marks.get(id);
      if (was === undefined) {
        const gen = this.nodes.get(id)!.gen;
        let lo = 0;
        let hi = queue.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (this.nodes.get(queue[mid]!)!.gen <= gen) lo = mid + 1;
          else hi = mid;
        }
        queue.splice(lo, 0, id);
        marks.set(id, add);
        if (add === HEADS) headsOnly++;
      } else if ((was | add) !== was) {
        if (was === HEADS) headsOnly--;
        marks.set(id, was | add);
      }
    };
    mark(commit, PAST);
    for (const h of heads) if (this.nodes.has(h)) mark(h, HEADS);
    const concurrent = new Set<CommitId>();
    while (headsOnly > 0) {
      const id = queue.pop()!;
      const m = marks.get(id)!;
      if (m === HEADS) {
        headsOnly--;
        concurrent.add(id);
      }
      for (const d of this.nodes.get(id)!.deps) mark(d, m);
    }
    return concurrent;
  }

  /** True if `a` is in the causal past of any of `heads` (or is one of them). */
  isAncestorOfAny(a: CommitId, heads: readonly CommitId[]): boolean {
    for (const h of heads) if (h === a || this.isAncestor(a, h)) return true;
    return false;
  }

  /** Every commit reachable from `heads` (inclusive); unknown heads are skipped. */
  ancestorsOf(heads: readonly CommitId[]): Set<CommitId> {
    const seen = new Set<CommitId>();
    const stack = heads.filter((h) => this.nodes.has(h));
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const d of this.nodes.get(id)!.deps) if (!seen.has(d)) stack.push(d);
    }
    return seen;
  }

  /** Commits not in the causal past of `heads` (what a peer with those heads lacks), in topological order. */
  notIn(heads: readonly CommitId[]): CommitId[] {
    const theirs = this.ancestorsOf(heads);
    return this.order.filter((id) => !theirs.has(id));
  }
}

/** The set remembered for `a` in `store`, marked most recently used. */
function recall(store: Map<CommitId, IndexSet>, a: CommitId): IndexSet | undefined {
  const memo = store.get(a);
  if (memo) {
    // Most recently used last.
    store.delete(a);
    store.set(a, memo);
  }
  return memo;
}

function isSet(memo: IndexSet, index: number): boolean {
  const i = index - memo.base;
  return ((memo.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}
