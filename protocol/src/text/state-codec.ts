/**
 * Full-state encoding of a text replica.
 *
 *   byte 0      format version (STATE_VERSION = 1)
 *   bytes 1..   raw DEFLATE (RFC 1951) of the body:
 *
 *   body:
 *     varuint A, A x string            agent ids (index = agent number below)
 *     varuint L, L x log span          the op log in causal (arrival) order:
 *        varuint agent*3 + kind        kind 0 insert, 1 delete forward, 2 delete backward
 *        varuint len                   ids agent:v..v+len-1, v = ids of agent in earlier spans
 *        delete only: varuint tAgent, varint tSeq - predicted
 *                                      (predicted = where the previous delete span ended)
 *     varuint R                        runs in document order, deleted or not; a run is
 *                                      ids typed one after another with one right origin
 *     R x varuint agent                (columns, so that DEFLATE sees alike values together)
 *     R x varuint len
 *     R x varint seq - expected        expected = end of the agent's previous run
 *     R x left origin                  0 = document start, else 1 + zigzag(i - j), varuint u:
 *                                      the char u units before the end of run j
 *     R x right origin                 0 = document end, else 1 + zigzag(j - i), varuint u:
 *                                      the char u units after the start of run j
 *     string                           the visible text (UTF-8)
 *
 * Which characters are deleted is not stored: it follows from the log's delete spans.
 * Deleted text is dropped; `opsSince` on a decoded replica sends U+0000 in its place
 * (never visible, since the receiver also lacks the delete).
 *
 * decodeDocState checks everything (runs tile the insert ids exactly, every delete
 * targets characters, every origin is a character causally before its run) and throws
 * only DecodeError.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteReader, ByteWriter } from '../codec/bytes.js';
import { DecodeError, decodeSafely } from '../codec/errors.js';
import { DocState } from './doc-state.js';
import { AgentIndex } from './id-index.js';
import { DEL_FWD, INSERT } from './op-log.js';
import { MAX_AGENT_LENGTH, MAX_SEQ } from './limits.js';
import { Run, continues } from './run.js';

export const STATE_VERSION = 1;
const MAX_AGENTS = 1 << 20;
const MAX_BODY = 1 << 28;

const zig = (v: number): number => (v < 0 ? -2 * v - 1 : 2 * v);
const unzig = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

export function encodeDocState(st: DocState): Uint8Array {
  const w = new ByteWriter(1 << 16);
  w.writeVarUint(st.agents.length);
  for (const name of st.agents) w.writeString(name);
  const log = st.log;
  w.writeVarUint(log.count);
  let pred = 0;
  for (let j = 0; j < log.count; j++) {
    const kind = log.kind[j]!;
    const len = log.len[j]!;
    w.writeVarUint(log.agent[j]! * 3 + kind);
    w.writeVarUint(len);
    if (kind !== INSERT) {
      const t = log.tSeq[j]!;
      w.writeVarUint(log.tAgent[j]!);
      w.writeVarInt(t - pred);
      pred = kind === DEL_FWD ? t + len : t - len;
    }
  }
  // Merge list runs that differ only in their deleted flag.
  const enc: Run[] = [];
  const encOf = new Map<Run, number>();
  const visible: string[] = [];
  for (const blk of st.list.blocks) {
    for (const r of blk.runs) {
      const c = enc[enc.length - 1];
      if (c !== undefined && continues(c, r)) {
        c.len += r.len;
      } else {
        enc.push(new Run(r.agent, r.seq, r.len, r.olAgent, r.olSeq, r.orAgent, r.orSeq, false));
      }
      encOf.set(r, enc.length - 1);
      if (!r.deleted) visible.push(st.textOf(r.agent, r.seq, r.seq + r.len));
    }
  }
  const n = enc.length;
  w.writeVarUint(n);
  for (const r of enc) w.writeVarUint(r.agent);
  for (const r of enc) w.writeVarUint(r.len);
  const expected = new Array<number>(st.agents.length).fill(0);
  for (const r of enc) {
    w.writeVarInt(r.seq - expected[r.agent]!);
    expected[r.agent] = r.seq + r.len;
  }
  enc.forEach((r, i) => {
    if (r.olAgent < 0) return w.writeVarUint(0);
    const j = encOf.get(st.runOf(r.olAgent, r.olSeq)!)!;
    const e = enc[j]!;
    w.writeVarUint(1 + zig(i - j));
    w.writeVarUint(e.seq + e.len - 1 - r.olSeq);
  });
  enc.forEach((r, i) => {
    if (r.orAgent < 0) return w.writeVarUint(0);
    const j = encOf.get(st.runOf(r.orAgent, r.orSeq)!)!;
    w.writeVarUint(1 + zig(j - i));
    w.writeVarUint(r.orSeq - enc[j]!.seq);
  });
  w.writeString(visible.join(''));
  const body = deflateRawSync(w.finish(), { level: 9 });
  const out = new Uint8Array(1 + body.length);
  out[0] = STATE_VERSION;
  out.set(body, 1);
  return out;
}

export function decodeDocState(bytes: Uint8Array): DocState {
  return decodeSafely('text state', () => decodeBody(bytes));
}

/** Intervals [lo, hi) as a flat sorted, merged list. */
function mergeIntervals(flat: number[]): number[] {
  const n = flat.length >> 1;
  if (n === 0) return flat;
  const order = sortedBy(n, (i) => flat[2 * i]!);
  const out: number[] = [];
  for (const i of order) {
    const lo = flat[2 * i]!;
    const hi = flat[2 * i + 1]!;
    if (out.length > 0 && lo <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

/** Index of the last interval with lo <= x in a flat sorted list (or -1). */
function intervalAt(flat: number[], x: number): number {
  let lo = 0;
  let hi = (flat.length >> 1) - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (flat[2 * mid]! <= x) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

function decodeBody(bytes: Uint8Array): DocState {
  if (bytes.length < 1) throw new DecodeError('truncated', 'empty text state');
  if (bytes[0] !== STATE_VERSION) throw new DecodeError('version', `text state version ${bytes[0]}`);
  let body: Uint8Array;
  try {
    body = inflateRawSync(bytes.subarray(1), { maxOutputLength: MAX_BODY });
  } catch (e) {
    throw new DecodeError('malformed', `text state does not inflate: ${e instanceof Error ? e.message : String(e)}`);
  }
  const rd = new ByteReader(body);
  const nAgents = rd.readCount(MAX_AGENTS, 2, 'agents');
  const st = new DocState();
  for (let a = 0; a < nAgents; a++) {
    const name = rd.readString(MAX_AGENT_LENGTH * 3, 'agent id');
    if (name.length === 0 || name.length > MAX_AGENT_LENGTH) throw new DecodeError('malformed', 'agent id length');
    if (st.agentOf(name) !== undefined) throw new DecodeError('malformed', `duplicate agent ${name}`);
    st.intern(name);
  }
  // The log: assigns every id, checks each delete targets ids allocated before it.
  const vv = st.vv;
  const log = st.log;
  const nLog = rd.readCount(MAX_SEQ, 2, 'log spans');
  const insertSpans: number[][] = Array.from({ length: nAgents }, () => []); // flat [seq, logIndex, end]
  const deleted: number[][] = Array.from({ length: nAgents }, () => []);
  let pred = 0;
  for (let j = 0; j < nLog; j++) {
    const h = rd.readVarUint();
    const a = Math.floor(h / 3);
    const kind = h % 3;
    if (a >= nAgents) throw new DecodeError('malformed', 'log agent out of range');
    const len = rd.readVarUint();
    const seq = vv[a]!;
    if (len < 1 || seq + len > MAX_SEQ) throw new DecodeError('malformed', 'log span length');
    let tA = 0;
    let tS = 0;
    if (kind === INSERT) {
      insertSpans[a]!.push(seq, j, seq + len);
    } else {
      tA = rd.readVarUint();
      if (tA >= nAgents) throw new DecodeError('malformed', 'delete target agent out of range');
      tS = pred + rd.readVarInt();
      const lo = kind === DEL_FWD ? tS : tS - len + 1;
      if (lo < 0 || lo + len > vv[tA]!) throw new DecodeError('malformed', 'delete targets ids not yet allocated');
      deleted[tA]!.push(lo, lo + len);
      pred = kind === DEL_FWD ? tS + len : tS - len;
    }
    vv[a] = seq + len;
    log.push(a, seq, len, kind, tA, tS);
  }
  // Run columns.
  const n = rd.readCount(MAX_SEQ, 5, 'runs');
  const ag = new Int32Array(n);
  const sq = new Int32Array(n);
  const ln = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rd.readVarUint();
    if (a >= nAgents) throw new DecodeError('malformed', 'run agent out of range');
    ag[i] = a;
  }
  for (let i = 0; i < n; i++) {
    const len = rd.readVarUint();
    if (len < 1 || len > MAX_SEQ) throw new DecodeError('malformed', 'run length');
    ln[i] = len;
  }
  const expected = new Array<number>(nAgents).fill(0);
  for (let i = 0; i < n; i++) {
    const a = ag[i]!;
    const s = expected[a]! + rd.readVarInt();
    if (s < 0 || s + ln[i]! > vv[a]!) throw new DecodeError('malformed', 'run outside allocated ids');
    sq[i] = s;
    expected[a] = s + ln[i]!;
  }
  const olA = new Int32Array(n).fill(-1);
  const olS = new Int32Array(n);
  const orA = new Int32Array(n).fill(-1);
  const orS = new Int32Array(n);
  for (let side = 0; side < 2; side++) {
    const oA = side === 0 ? olA : orA;
    const oS = side === 0 ? olS : orS;
    for (let i = 0; i < n; i++) {
      const v = rd.readVarUint();
      if (v === 0) continue;
      const d = unzig(v - 1);
      const j = side === 0 ? i - d : i + d;
      if (j < 0 || j >= n) throw new DecodeError('malformed', 'origin refers outside the document');
      const u = rd.readVarUint();
      if (u >= ln[j]!) throw new DecodeError('malformed', 'origin offset beyond its run');
      oA[i] = ag[j]!;
      oS[i] = side === 0 ? sq[j]! + ln[j]! - 1 - u : sq[j]! + u;
    }
  }
  const text = rd.readString(body.length, 'text');
  rd.expectEnd('text state');

  // Runs of each agent in seq order must tile its insert ids exactly.
  const byAgent = sortByAgentAndSeq(ag, sq, nAgents);
  const insertIds: number[][] = [];
  for (let a = 0; a < nAgents; a++) {
    const spans = insertSpans[a]!;
    const merged: number[] = [];
    for (let k = 0; k < spans.length; k += 3) {
      if (merged.length > 0 && merged[merged.length - 1] === spans[k]) merged[merged.length - 1] = spans[k + 2]!;
      else merged.push(spans[k]!, spans[k + 2]!);
    }
    insertIds.push(merged);
    const order = byAgent[a]!;
    let k = 0;
    let p = merged.length > 0 ? merged[0]! : 0;
    for (const i of order) {
      if (k >= merged.length || sq[i] !== p) throw new DecodeError('malformed', 'runs do not tile the inserted ids');
      p += ln[i]!;
      if (p > merged[k + 1]!) throw new DecodeError('malformed', 'run crosses an id gap');
      if (p === merged[k + 1]) {
        k += 2;
        p = merged[k] ?? 0;
      }
    }
    if (k !== merged.length) throw new DecodeError('malformed', 'inserted ids missing from the document');
  }
  // Origins are characters (by construction) that were inserted before their run.
  const logPos = (a: number, s: number): number => {
    const spans = insertSpans[a]!;
    let lo = 0;
    let hi = spans.length / 3 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (spans[3 * mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return spans[3 * lo + 1]!;
  };
  for (let i = 0; i < n; i++) {
    const own = logPos(ag[i]!, sq[i]!);
    for (const [oa, os] of [
      [olA[i]!, olS[i]!],
      [orA[i]!, orS[i]!],
    ] as const) {
      if (oa < 0) continue;
      const at = logPos(oa, os);
      if (at > own || (at === own && os >= sq[i]!)) throw new DecodeError('malformed', 'origin inserted after its run');
    }
  }
  // Deleted ids: merged target intervals, which must all be characters.
  const deletedIds = deleted.map(mergeIntervals);
  for (let a = 0; a < nAgents; a++) {
    const del = deletedIds[a]!;
    const ins = insertIds[a]!;
    for (let k = 0; k < del.length; k += 2) {
      const c = intervalAt(ins, del[k]!);
      if (c < 0 || del[k + 1]! > ins[2 * c + 1]!) throw new DecodeError('malformed', 'delete targets an id that is not a character');
    }
  }
  // Runs split by deleted state, visible ones take their text.
  const runs: Run[] = [];
  const pieceStart = new Int32Array(n + 1);
  let tp = 0;
  for (let i = 0; i < n; i++) {
    const a = ag[i]!;
    const del = deletedIds[a]!;
    const end = sq[i]! + ln[i]!;
    let p = sq[i]!;
    let c = intervalAt(del, p);
    while (p < end) {
      let q: number;
      let isDel: boolean;
      if (c >= 0 && p < del[2 * c + 1]!) {
        isDel = true;
        q = Math.min(end, del[2 * c + 1]!);
      } else {
        isDel = false;
        q = 2 * c + 2 < del.length ? Math.min(end, del[2 * c + 2]!) : end;
      }
      const first = p === sq[i];
      runs.push(new Run(a, p, q - p, first ? olA[i]! : a, first ? olS[i]! : p - 1, orA[i]!, orS[i]!, isDel));
      if (!isDel) {
        if (tp + q - p > text.length) throw new DecodeError('malformed', 'text shorter than the visible runs');
        st.writeText(a, p, text, tp, tp + q - p);
        tp += q - p;
      }
      p = q;
      if (2 * c + 2 < del.length && p >= del[2 * c + 2]!) c++;
    }
    pieceStart[i + 1] = runs.length;
  }
  if (tp !== text.length) throw new DecodeError('malformed', 'text longer than the visible runs');
  st.list.load(runs, tp);
  for (let a = 0; a < nAgents; a++) {
    const pieces: Run[] = [];
    for (const i of byAgent[a]!) for (let p = pieceStart[i]!; p < pieceStart[i + 1]!; p++) pieces.push(runs[p]!);
    st.list.indexes[a] = AgentIndex.fromSorted(pieces);
  }
  return st;
}

/** Run numbers of each agent, sorted by seq (seqs of one agent are distinct). */
function sortByAgentAndSeq(ag: Int32Array, sq: Int32Array, nAgents: number): Int32Array[] {
  const n = ag.length;
  const count = new Int32Array(nAgents);
  for (let i = 0; i < n; i++) count[ag[i]!]!++;
  const out = Array.from(count, (c) => new Int32Array(c));
  const fill = new Int32Array(nAgents);
  for (let i = 0; i < n; i++) out[ag[i]!]![fill[ag[i]!]!++] = i;
  return out.map((idx) => {
    const order = sortedBy(idx.length, (k) => sq[idx[k]!]!);
    for (let k = 0; k < order.length; k++) order[k] = idx[order[k]!]!;
    return order;
  });
}

const SHIFT = 2 ** 21;

/** 0..n-1 sorted by key(i) (a non-negative int below 2^31), stable; a numeric typed-array sort when it fits. */
function sortedBy(n: number, key: (i: number) => number): Int32Array {
  const out = new Int32Array(n);
  if (n >= SHIFT) {
    const idx = Array.from({ length: n }, (_, i) => i).sort((x, y) => key(x) - key(y) || x - y);
    out.set(idx);
    return out;
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = key(i) * SHIFT + i;
  keys.sort();
  for (let i = 0; i < n; i++) out[i] = keys[i]! % SHIFT;
  return out;
}
