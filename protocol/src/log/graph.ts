/**
 * The causal DAG of merged commits. A commit is added only after all of its
 * dependencies, so insertion order is a topological order; each node remembers its
 * position, which bounds ancestry searches (an ancestor always has a smaller one).
 */
import type { CommitId } from './ids.js';

interface GraphNode {
  readonly deps: readonly CommitId[];
  readonly index: number;
}

export class CommitGraph {
  private readonly nodes = new Map<CommitId, GraphNode>();
  private readonly order: CommitId[] = [];
  private readonly headSet = new Set<CommitId>();

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
    this.nodes.set(id, { deps, index: this.order.length });
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

  /** True if `a` is strictly in the causal past of `b`. */
  isAncestor(a: CommitId, b: CommitId): boolean {
    const na = this.nodes.get(a);
    const nb = this.nodes.get(b);
    if (!na || !nb || na.index >= nb.index) return false;
    const seen = new Set<CommitId>();
    const stack: CommitId[] = [...nb.deps];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === a) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      const n = this.nodes.get(id)!;
      if (n.index < na.index) continue;
      for (const d of n.deps) stack.push(d);
    }
    return false;
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
