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
 * is linear, not quadratic. At most REMEMBERED_ANCESTORS such bit sets are kept, each
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
 * For one ancestor `a`: which commits are known not to have `a` in their causal past,
 * as a bit set over insertion indices from a's own index on (others cannot have it).
 */
interface NotAbove {
  readonly base: number;
  bits: Uint8Array;
}

/** Searches that visit this many commits (and find nothing) are remembered. */
const REMEMBER_FROM = 16;
/** How many ancestors' NotAbove sets are kept (least recently used dropped first). */
const REMEMBERED_ANCESTORS = 64;

export class CommitGraph {
  private readonly nodes = new Map<CommitId, GraphNode>();
  private readonly order: CommitId[] = [];
  private readonly headSet = new Set<CommitId>();
  /** Results of failed ancestry searches, by ancestor, in least recently used order. */
  private readonly notAbove = new Map<CommitId, NotAbove>();

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

  /** True if `a` is strictly in the causal past of `b`. */
  isAncestor(a: CommitId, b: CommitId): boolean {
    const na = this.nodes.get(a);
    const nb = this.nodes.get(b);
    if (!na || !nb || na.index >= nb.index || na.gen >= nb.gen) return false;
    const memo = this.notAbove.get(a);
    if (memo) {
      // Most recently used last.
      this.notAbove.delete(a);
      this.notAbove.set(a, memo);
      if (isSet(memo, nb.index)) return false;
    }
    // Commits searched below: none of them reaches `a` if the search fails.
    const searched: number[] = [nb.index];
    const seen = new Set<CommitId>();
    const stack: CommitId[] = [...nb.deps];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === a) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      const n = this.nodes.get(id)!;
      if (n.index < na.index || n.gen <= na.gen) continue;
      if (memo && isSet(memo, n.index)) continue;
      searched.push(n.index);
      for (const d of n.deps) stack.push(d);
    }
    if (memo || searched.length >= REMEMBER_FROM) this.remember(a, na.index, memo, searched);
    return false;
  }

  /** Records that none of `searched` (insertion indices) has `a` in its causal past. */
  private remember(a: CommitId, base: number, memo: NotAbove | undefined, searched: readonly number[]): void {
    if (!memo) {
      memo = { base, bits: new Uint8Array(0) };
      this.notAbove.set(a, memo);
      if (this.notAbove.size > REMEMBERED_ANCESTORS) this.notAbove.delete(this.notAbove.keys().next().value!);
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

function isSet(memo: NotAbove, index: number): boolean {
  const i = index - memo.base;
  return ((memo.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}
