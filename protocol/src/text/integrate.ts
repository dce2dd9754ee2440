/**
 * Merging remote operations into a DocState.
 *
 * Placement of a remote insert is FugueMax in its list form (the "YjsMod" rule of
 * diamond-types, shown equivalent to FugueMax by Weidner and Kleppmann, "The Art of
 * the Fugue"): start right after the left origin and scan the items up to the right
 * origin; an item whose left origin is further left ends the scan (it belongs to an
 * enclosing subtree), one whose left origin is further right is a descendant of an
 * item we passed (skip it), and one with the same left origin is a sibling ordered by
 * its right origin (further left = goes first) and, for the same right origin, by
 * author name. Concurrent runs typed at one place therefore never interleave.
 *
 * Callers validate first (ids exist, seq is the agent's next): nothing here throws on
 * valid input and nothing is half-applied.
 */
import type { DocState } from './doc-state.js';
import type { TextChange } from './types.js';
import { Run } from './run.js';

/** Compares the list positions of two items; agent -1 stands for `none` at position `none`. */
function cmpItems(st: DocState, aA: number, aS: number, bA: number, bS: number, none: number): number {
  if (aA === bA && aS === bS) return 0;
  if (aA < 0) return none;
  if (bA < 0) return -none;
  const ra = st.runOf(aA, aS)!;
  const rb = st.runOf(bA, bS)!;
  if (ra === rb) return aS < bS ? -1 : 1;
  const ba = ra.blk.idx;
  const bb = rb.blk.idx;
  if (ba !== bb) return ba < bb ? -1 : 1;
  const runs = ra.blk.runs;
  return runs.indexOf(ra) < runs.indexOf(rb) ? -1 : 1;
}

/** Inserts a new item of agent a (seq = its next id) and reports the editor change. */
export function integrateInsert(
  st: DocState,
  a: number,
  seq: number,
  text: string,
  olA: number,
  olS: number,
  orA: number,
  orS: number,
  changes: TextChange[],
): void {
  const list = st.list;
  const blocks = list.blocks;
  const n = text.length;
  st.writeText(a, seq, text);
  // Cursor (b, i, k): before unit k of run i of block b, right after the left origin.
  let b = 0;
  let i = 0;
  let k = 0;
  if (olA >= 0) {
    const r = st.runOf(olA, olS)!;
    list.locate(r);
    b = list.fb;
    i = list.fi;
    k = olS - r.seq + 1;
    if (k === r.len) {
      i++;
      k = 0;
    }
  }
  let scanning = false;
  let sb = b;
  let si = i;
  let sk = k;
  for (;;) {
    let runs = blocks[b]!.runs;
    if (i >= runs.length) {
      if (b + 1 >= blocks.length) break;
      b++;
      i = 0;
      k = 0;
      runs = blocks[b]!.runs;
    }
    const o = runs[i]!;
    const oSeq = o.seq + k;
    if (o.agent === orA && oSeq === orS) break;
    const oolA = k === 0 ? o.olAgent : o.agent;
    const oolS = k === 0 ? o.olSeq : oSeq - 1;
    const c = cmpItems(st, oolA, oolS, olA, olS, -1);
    if (c < 0) break;
    if (c === 0) {
      if (o.orAgent === orA && o.orSeq === orS) {
        const mine = st.agents[a]!;
        const other = st.agents[o.agent]!;
        if (mine < other || (mine === other && seq < oSeq)) break;
        scanning = false;
      } else if (cmpItems(st, o.orAgent, o.orSeq, orA, orS, 1) < 0) {
        if (!scanning) {
          scanning = true;
          sb = b;
          si = i;
          sk = k;
        }
      } else scanning = false;
    }
    i++;
    k = 0;
  }
  if (scanning) {
    b = sb;
    i = si;
    k = sk;
  }
  if (k > 0) {
    list.split(b, i, k);
    i++;
  }
  let offset: number;
  const prev = list.prev(b, i);
  if (
    prev !== undefined &&
    !prev.deleted &&
    prev.agent === a &&
    prev.seq + prev.len === seq &&
    olA === a &&
    olS === seq - 1 &&
    prev.orAgent === orA &&
    prev.orSeq === orS
  ) {
    const pb = prev.blk;
    offset = list.offsetOf(pb.idx, i > 0 ? i - 1 : pb.runs.length - 1) + prev.len;
    prev.len += n;
    pb.vis += n;
    list.length += n;
  } else {
    offset = list.offsetOf(b, i);
    list.insertNew(b, i, new Run(a, seq, n, olA, olS, orA, orS, false));
    list.settle(b);
  }
  st.vv[a] = seq + n;
  st.log.addInsert(a, seq, n);
  changes.push({ offset, deleteCount: 0, insert: text });
}

/** Deletes ids tA:tS .. tA:tS+len-1 (op ids a:seq..) and reports the editor changes. */
export function integrateDelete(st: DocState, a: number, seq: number, tA: number, tS: number, len: number, changes: TextChange[]): void {
  const list = st.list;
  const first = changes.length;
  const end = tS + len;
  let s = tS;
  while (s < end) {
    const r = st.runOf(tA, s)!;
    const k = s - r.seq;
    const take = Math.min(end - s, r.len - k);
    if (!r.deleted) {
      list.locate(r);
      const b = list.fb;
      const offset = list.offsetOf(b, list.fi) + k;
      list.deleteIn(b, list.fi, k, take);
      list.settle(b);
      const last = changes.length > first ? changes[changes.length - 1]! : undefined;
      if (last !== undefined && last.offset === offset) changes[changes.length - 1] = { offset, deleteCount: last.deleteCount + take, insert: '' };
      else changes.push({ offset, deleteCount: take, insert: '' });
    }
    s += take;
  }
  st.vv[a] = seq + len;
  st.log.addDelete(a, seq, len, tA, tS);
}
