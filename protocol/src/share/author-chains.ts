/**
 * Author chains: an honest client's commits are totally ordered (each one's causal past
 * holds the one before), so each author's commits, in the order integrated, form a
 * chain. Two commits of one author that are concurrent are a fork (equivocation, or a
 * commit that leaves out its author's previous one): the pair is the proof, and every
 * commit of that author from the fork on has no effect (`voided`: the chain's commits
 * concurrent with the new one, the new one, and every later one), the same on every
 * replica that holds the same commits.
 */
import type { CommitGraph } from '../log/graph.js';
import type { CommitId } from '../log/ids.js';

export class AuthorChains {
  /** Each author's commits that count (for a forked author: those before every fork found), in causal order. */
  private readonly chains = new Map<string, CommitId[]>();
  private readonly proofs = new Map<string, readonly [CommitId, CommitId]>();
  /** Commits of forked authors: none of them has an effect. */
  readonly voided = new Set<CommitId>();
  /** Each forked author's commit last in the canonical order. */
  private readonly forkedLast = new Map<string, CommitId>();

  constructor(private readonly graph: CommitGraph) {}

  /**
   * Appends a commit (already in the graph) to its author's chain, or finds the fork it
   * makes. Returns true if commits already applied lost their effect (the replica must
   * rebuild its state).
   */
  follow(author: string, id: CommitId): boolean {
    let chain = this.chains.get(author);
    if (!chain) this.chains.set(author, (chain = []));
    // A forked author's ids are bound to their commits in the canonical order
    // (forked-ids.ts): a commit of theirs that comes after all their others in that order
    // (a flood after the fork, in order) is applied in place, as a rebuild would apply it
    // last; one that comes before any of them needs the rebuild. It may also fork the
    // chain further back (be concurrent with commits before the first fork found): those
    // lose their effect too, as they would had this fork been found first.
    if (this.proofs.has(author)) {
      this.voided.add(id);
      const lostEffect = this.voidFrom(chain, this.firstNotBefore(chain, id));
      const last = this.forkedLast.get(author)!;
      const after = this.graph.canonicallyBefore(last, id);
      if (after) this.forkedLast.set(author, id);
      return lostEffect || !after;
    }
    const last = chain.at(-1);
    if (last === undefined || this.graph.isAncestor(last, id)) {
      chain.push(id);
      return false;
    }
    const fork = this.firstNotBefore(chain, id);
    const proof: [CommitId, CommitId] = chain[fork]! < id ? [chain[fork]!, id] : [id, chain[fork]!];
    this.proofs.set(author, proof);
    this.forkedLast.set(author, [...chain, id].reduce((a, b) => (this.graph.canonicallyBefore(a, b) ? b : a)));
    this.voided.add(id);
    this.voidFrom(chain, fork);
    return true;
  }

  /**
   * The index of the chain's first commit not in `id`'s causal past (the chain's length if
   * there is none). The chain is totally ordered, so those in its past are a prefix; a
   * commit delivered after the chain's is never their ancestor, so the rest are
   * concurrent with it.
   */
  private firstNotBefore(chain: readonly CommitId[], id: CommitId): number {
    let lo = 0;
    let hi = chain.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.graph.isAncestor(chain[mid]!, id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Voids the chain's commits from `index` on, and leaves the chain the author's commits that still count. Did any lose its effect? */
  private voidFrom(chain: CommitId[], index: number): boolean {
    if (index >= chain.length) return false;
    for (const voided of chain.splice(index)) this.voided.add(voided);
    return true;
  }

  /** Authors who signed two concurrent commits, with the two commits (the proof anyone with the log can check). */
  forks(): ReadonlyMap<string, readonly [CommitId, CommitId]> {
    return this.proofs;
  }
}
