/**
 * A replica's state as it was at an earlier version, built from the current state in one
 * pass instead of replaying the history: the document order of characters never
 * changes once they are placed, so the old document is the current run list restricted
 * to the ids within the version, each deleted or not as the deletes within the version
 * say. TextDoc.textAt reads it, TextDoc.editAt types on it.
 *
 * The copy shares the content of every agent but `writer` with the original (only the
 * copy's own agent ever writes into it, at ids the version does not hold); `writer`'s
 * content is copied.
 */
import { DocState } from './doc-state.js';
import { AgentIndex } from './id-index.js';
import { DEL_FWD, INSERT } from './op-log.js';
import { Run, canAppend } from './run.js';

/** The state holding exactly ids 0..to[a]-1 of each agent a (to[a] <= st.vv[a]). */
export function stateAt(st: DocState, to: readonly number[], writer: number): DocState {
  const past = new DocState();
  for (const name of st.agents) past.intern(name);
  past.vv = [...to];
  past.content = st.content.map((chunks, a) => (a === writer ? chunks.map((c) => c?.slice()) : chunks));
  const deleted = copyLog(st, past, to);
  const runs: Run[] = [];
  const byAgent: Run[][] = st.agents.map(() => []);
  let visible = 0;
  for (const blk of st.list.blocks) {
    for (const r of blk.runs) {
      const end = Math.min(r.seq + r.len, to[r.agent]!);
      const gone = deleted[r.agent]!;
      // Pieces of [r.seq, end) alternately deleted or not, by the sorted intervals `gone`.
      let g = firstEndingAfter(gone, r.seq);
      for (let p = r.seq; p < end; ) {
        const inGone = g < gone.length && gone[g]! <= p;
        const q = Math.min(end, inGone ? gone[g + 1]! : g < gone.length ? gone[g]! : end);
        const first = p === r.seq;
        const piece = new Run(r.agent, p, q - p, first ? r.olAgent : r.agent, first ? r.olSeq : p - 1, r.orAgent, r.orSeq, inGone);
        const last = runs[runs.length - 1];
        if (last !== undefined && canAppend(last, piece)) last.len += piece.len;
        else {
          runs.push(piece);
          byAgent[r.agent]!.push(piece);
        }
        if (!inGone) visible += q - p;
        if (inGone) g += 2;
        p = q;
      }
    }
  }
  past.list.load(runs, visible);
  byAgent.forEach((pieces, a) => {
    pieces.sort((x, y) => x.seq - y.seq);
    past.list.indexes[a] = AgentIndex.fromSorted(pieces);
  });
  return past;
}

/**
 * Copies the log spans within `to` (clipped at its edge) into `past`, and returns, per
 * agent, the ids those deletes target as sorted, merged intervals [lo, hi) (flat).
 */
function copyLog(st: DocState, past: DocState, to: readonly number[]): number[][] {
  const log = st.log;
  const spans: Array<Array<[number, number]>> = st.agents.map(() => []);
  for (let j = 0; j < log.count; j++) {
    const a = log.agent[j]!;
    const s = log.seq[j]!;
    const n = Math.min(s + log.len[j]!, to[a]!) - s;
    if (n <= 0) continue;
    const kind = log.kind[j]!;
    const tA = log.tAgent[j]!;
    const tS = log.tSeq[j]!;
    past.log.push(a, s, n, kind, tA, tS);
    if (kind === INSERT) continue;
    // DEL_FWD: id s+i deletes tS+i; DEL_BACK: id s+i deletes tS-i.
    spans[tA]!.push(kind === DEL_FWD ? [tS, tS + n] : [tS - n + 1, tS + 1]);
  }
  return spans.map((list) => {
    list.sort((x, y) => x[0] - y[0]);
    const flat: number[] = [];
    for (const [lo, hi] of list) {
      if (flat.length > 0 && lo <= flat[flat.length - 1]!) flat[flat.length - 1] = Math.max(flat[flat.length - 1]!, hi);
      else flat.push(lo, hi);
    }
    return flat;
  });
}

/** Index (even) of the first interval of the flat list that ends after `seq`. */
function firstEndingAfter(flat: readonly number[], seq: number): number {
  let lo = 0;
  let hi = flat.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (flat[2 * mid + 1]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return 2 * lo;
}
