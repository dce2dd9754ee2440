/**
 * Operation ids bound to their commit, for authors who forked (replica.ts, author chains).
 *
 * A character id is (author agent, seq), and an honest author never uses a seq twice. A
 * forking author can: two concurrent commits may carry different text under the same
 * ids. A replica that held one of them first and skipped the other's as held would then
 * disagree with a replica that held the other first, and so would every honest edit
 * anchored on those ids. So once an author is known to have forked, every id of theirs
 * is bound to the commit that claims it: each of the author's commits gets a namespace of
 * its own (`agent@commit`), and a reference to `agent:seq` in any commit means the first
 * commit, in the canonical order, among the author's commits in the referencing commit's
 * causal past (or the commit itself) that carries that seq. An honest member who saw
 * only one branch of the fork anchored on that branch's text, and that is what its
 * reference resolves to; one who saw both had the fork's rebuild in front of it, which
 * applies the author's commits in the canonical order and so shows the first one's text.
 *
 * The replica applies a forked author's commits only in rebuilds (every one of them
 * triggers one), in the canonical order, so claims are recorded in that order.
 */
import { compactOps } from '../text/compact-ops.js';
import type { Id, TextOp } from '../text/index.js';
import type { CommitId } from '../log/ids.js';
import type { FileId } from './manifest.js';

/** Ids bound in one batch at most: far above an honest commit's (commits are bounded in bytes). */
const MAX_BOUND_UNITS = 1 << 22;

/** A run of an author's seqs a commit carries, and where they are bound. */
interface Claim {
  readonly commit: CommitId;
  readonly seq: number;
  length: number;
  readonly bound: Id;
}

/** A batch with its ids bound, and what makes its claims count once it is applied. */
export interface BoundOps {
  readonly ops: readonly TextOp[];
  readonly keep: () => void;
}

/** Which commits a reference may mean: the referencing commit and its causal past. */
export type Visible = (commit: CommitId) => boolean;

export class ForkedIds {
  /** Per file and forked agent, claims in the order applied (the canonical order). */
  private readonly claims = new Map<string, Claim[]>();
  /** Next free seq of each bound namespace, per file. */
  private readonly nextSeq = new Map<string, number>();

  constructor(private readonly forkedAgents: ReadonlySet<string>) {}

  /** Does applying this op need binding (a forked author's, or one referring to a forked author's ids)? */
  private concerns(op: TextOp): boolean {
    if (this.forkedAgents.has(op.agent)) return true;
    if (op.kind === 'delete') return this.forkedAgents.has(op.target.agent);
    return (op.originLeft !== null && this.forkedAgents.has(op.originLeft.agent)) || (op.originRight !== null && this.forkedAgents.has(op.originRight.agent));
  }

  /**
   * The ops of `commit` (undefined: our own staged edits) with every forked author's id
   * bound: the commit's own new ids claimed under its namespace, ids it carries that an
   * earlier visible commit claimed dropped (the text layer skips held ids too), references
   * resolved. A reference no visible commit claims stays as it is (the text layer then
   * finds it missing, as for any unknown id). The claims count once `keep()` is called:
   * when the ops were applied (a batch that is refused, or does not apply, claims nothing).
   */
  bind(file: FileId, commit: CommitId | undefined, visible: Visible, ops: readonly TextOp[]): BoundOps {
    const unchanged = { ops, keep: () => {} };
    if (this.forkedAgents.size === 0 || !ops.some((op) => this.concerns(op))) return unchanged;
    // One id at a time, so the work is bounded by the ids the ops name: a delete's length
    // is only a number. Past the bound the ops stay unbound (and then have no effect).
    let budget = MAX_BOUND_UNITS;
    for (const op of ops) {
      if (!this.concerns(op)) continue;
      budget -= op.kind === 'insert' ? op.text.length : op.length;
      if (budget < 0) return unchanged;
    }
    const pending = new Map<string, Claim[]>();
    const lookup = (id: Id): Id | undefined => this.resolve(this.claims, file, id, visible) ?? this.resolve(pending, file, id, () => true);
    const refer = (id: Id): Id => (this.forkedAgents.has(id.agent) ? (lookup(id) ?? id) : id);
    const out: TextOp[] = [];
    for (const unit of units(ops, (op) => this.concerns(op))) {
      let own: Id = { agent: unit.agent, seq: unit.seq };
      if (this.forkedAgents.has(unit.agent) && commit !== undefined) {
        if (lookup(own) !== undefined) continue;
        own = this.claim(pending, file, commit, own);
      }
      if (unit.kind === 'insert') {
        out.push({ kind: 'insert', agent: own.agent, seq: own.seq, text: unit.text, originLeft: unit.originLeft && refer(unit.originLeft), originRight: unit.originRight && refer(unit.originRight) });
      } else {
        out.push({ kind: 'delete', agent: own.agent, seq: own.seq, target: refer(unit.target), length: unit.length });
      }
    }
    const keep = (): void => {
      for (const [key, list] of pending) {
        let kept = this.claims.get(key);
        if (!kept) this.claims.set(key, (kept = []));
        kept.push(...list);
        for (const c of list) this.nextSeq.set(claimKey(file, c.bound.agent), c.bound.seq + c.length);
      }
    };
    return { ops: compactOps(out), keep };
  }

  private resolve(claims: ReadonlyMap<string, readonly Claim[]>, file: FileId, id: Id, visible: Visible): Id | undefined {
    for (const c of claims.get(claimKey(file, id.agent)) ?? []) {
      if (id.seq >= c.seq && id.seq < c.seq + c.length && visible(c.commit)) return { agent: c.bound.agent, seq: c.bound.seq + (id.seq - c.seq) };
    }
    return undefined;
  }

  /** Claims `id` for `commit` in `pending`, under the commit's namespace, after the ids it already holds there. */
  private claim(pending: Map<string, Claim[]>, file: FileId, commit: CommitId, id: Id): Id {
    const agent = `${id.agent}@${commit}`;
    const key = claimKey(file, id.agent);
    let list = pending.get(key);
    if (!list) pending.set(key, (list = []));
    const last = list.at(-1);
    const seq = last ? last.bound.seq + last.length : (this.nextSeq.get(claimKey(file, agent)) ?? 0);
    if (last && last.seq + last.length === id.seq) last.length++;
    else list.push({ commit, seq: id.seq, length: 1, bound: { agent, seq } });
    return { agent, seq };
  }
}

function claimKey(file: FileId, agent: string): string {
  return `${file}\n${agent}`;
}

/** The ops `split` picks one id at a time (each unit of an insert after the one before it, each unit of a delete on one target), the others whole. */
function* units(ops: readonly TextOp[], split: (op: TextOp) => boolean): Generator<TextOp> {
  for (const op of ops) {
    if (!split(op)) yield op;
    else if (op.kind === 'insert') {
      for (let i = 0; i < op.text.length; i++) {
        const originLeft = i === 0 ? op.originLeft : { agent: op.agent, seq: op.seq + i - 1 };
        yield { kind: 'insert', agent: op.agent, seq: op.seq + i, text: op.text[i]!, originLeft, originRight: op.originRight };
      }
    } else {
      for (let i = 0; i < op.length; i++) yield { kind: 'delete', agent: op.agent, seq: op.seq + i, target: { agent: op.target.agent, seq: op.target.seq + i }, length: 1 };
    }
  }
}
