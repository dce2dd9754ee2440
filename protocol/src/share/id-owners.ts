/**
 * Which commit brought each character id of a file, so that a commit's text may refer only
 * to ids in its own causal past (or its own). A commit anchored on characters typed
 * outside its past (a dishonest author's, or a forged one) would apply on replicas that
 * happen to hold them and fail on the others, for good: the text would differ by delivery
 * order. With the owners known, every replica refuses it the same way.
 *
 * Ids of one agent arrive in order (the text layer holds each agent's ids from 0 up), so
 * each agent's runs are appended in ascending order and found by binary search. An id
 * already owned keeps its first owner: an honest author never reuses one, and a forked
 * author's are bound per commit (forked-ids.ts).
 */
import type { CommitId } from '../log/ids.js';
import type { Id, TextOp } from '../text/index.js';
import type { FileId } from './manifest.js';

interface OwnedRun {
  readonly start: number;
  end: number;
  readonly commit: CommitId;
}

/** Which commits a commit's text may refer to: itself and its causal past. */
export type InPast = (commit: CommitId) => boolean;

export class IdOwners {
  private readonly runs = new Map<string, OwnedRun[]>();
  /**
   * Ids also carried by later commits: a change Git made is made as the same operations by
   * every member who pulls it (git-edit.ts), so several concurrent commits carry its ids,
   * and a reference to them is in a commit's past if any of those is. (Rare: scanned.)
   */
  private readonly alsoOwned = new Map<string, OwnedRun[]>();

  /** Records `commit` as an owner of the ids its ops take (the first for ids no commit carried before). */
  record(file: FileId, commit: CommitId, ops: readonly TextOp[]): void {
    for (const op of ops) {
      const length = op.kind === 'insert' ? op.text.length : op.length;
      const key = runKey(file, op.agent);
      let list = this.runs.get(key);
      if (!list) this.runs.set(key, (list = []));
      const last = list.at(-1);
      const end = op.seq + length;
      if (op.seq < (last?.end ?? 0)) {
        let also = this.alsoOwned.get(key);
        if (!also) this.alsoOwned.set(key, (also = []));
        also.push({ start: op.seq, end: Math.min(end, last!.end), commit });
      }
      const start = Math.max(op.seq, last?.end ?? 0);
      if (start >= end) continue;
      if (last && last.commit === commit && last.end === start) last.end = end;
      else list.push({ start, end, commit });
    }
  }

  /**
   * The first reference of `ops` to an id neither in the ops themselves nor owned by a
   * commit `inPast` accepts (an id no commit owns counts as outside: it is not in the
   * past either), or undefined if every reference is in the commit's past.
   */
  foreignReference(file: FileId, ops: readonly TextOp[], inPast: InPast): Id | undefined {
    const own: Array<{ agent: string; start: number; end: number }> = [];
    const isOwn = (agent: string, seq: number): number | undefined => {
      for (const r of own) if (r.agent === agent && seq >= r.start && seq < r.end) return r.end;
      return undefined;
    };
    /** Every id of [seq, seq + length) is the batch's own or owned by a commit in the past. */
    const inside = (agent: string, seq: number, length: number): Id | undefined => {
      let at = seq;
      while (at < seq + length) {
        const ownEnd = isOwn(agent, at);
        if (ownEnd !== undefined) {
          at = ownEnd;
          continue;
        }
        const run = this.runAt(file, agent, at);
        if (run === undefined) return { agent, seq: at };
        if (!inPast(run.commit)) {
          const also = this.alsoOwned.get(runKey(file, agent))?.find((r) => at >= r.start && at < r.end && inPast(r.commit));
          if (also === undefined) return { agent, seq: at };
          at = Math.min(also.end, run.end);
          continue;
        }
        at = run.end;
      }
      return undefined;
    };
    for (const op of ops) {
      const foreign =
        op.kind === 'insert'
          ? (op.originLeft && inside(op.originLeft.agent, op.originLeft.seq, 1)) || (op.originRight && inside(op.originRight.agent, op.originRight.seq, 1))
          : inside(op.target.agent, op.target.seq, op.length);
      if (foreign) return foreign;
      own.push({ agent: op.agent, start: op.seq, end: op.seq + (op.kind === 'insert' ? op.text.length : op.length) });
    }
    return undefined;
  }

  private runAt(file: FileId, agent: string, seq: number): OwnedRun | undefined {
    const list = this.runs.get(runKey(file, agent));
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.start <= seq) lo = mid + 1;
      else hi = mid;
    }
    const run = list[lo - 1];
    return run !== undefined && seq < run.end ? run : undefined;
  }
}

function runKey(file: FileId, agent: string): string {
  return `${file}\n${agent}`;
}
