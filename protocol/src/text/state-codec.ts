/**
 * Full-state encoding of a text replica.
 *
 *   byte 0      format version (STATE_VERSION = 2; 1 is still read)
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
 *     R x left origin                  0 = document start, else varuint 1 + 2*zigzag(i - j) + (u > 0)
 *                                      and, if u > 0, varuint u - 1: the char u units before
 *                                      the end of run j (usually run i-1's last char: one byte)
 *     R x right origin                 the same with zigzag(j - i) and u units after the start
 *                                      of run j; 0 = document end
 *     string                           the visible text (UTF-8)
 *     string                           version 2: the deleted text, in document order (UTF-8)
 *
 * Which characters are deleted is not stored: it follows from the log's delete spans.
 * Deleted text is kept (version 2) so that a restored replica can still tell the text at
 * an earlier version (`textAt`) and make edits there (`editAt`). A version 1 state has
 * none: U+0000 stands in its place, in `opsSince` (never visible, since the receiver also
 * lacks the delete) and in the text at a version where it was visible.
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

export const STATE_VERSION = 2;
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
  const deleted: string[] = [];
  for (const blk of st.list.blocks) {
    for (const r of blk.runs) {
      const c = enc[enc.length - 1];
      if (c !== undefined && continues(c, r)) {
        c.len += r.len;
      } else {
        enc.push(new Run(r.agent, r.seq, r.len, r.olAgent, r.olSeq, r.orAgent, r.orSeq, false));
      }
      encOf.set(r, enc.length - 1);
      (r.deleted ? deleted : visible).push(st.textOf(r.agent, r.seq, r.seq + r.len));
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
  const writeOrigin = (d: number, u: number): void => {
    w.writeVarUint(1 + 2 * zig(d) + (u > 0 ? 1 : 0));
    if (u > 0) w.writeVarUint(u - 1);
  };
  enc.forEach((r, i) => {
    if (r.olAgent < 0) return w.writeVarUint(0);
    const j = encOf.get(st.runOf(r.olAgent, r.olSeq)!)!;
    const e = enc[j]!;
    writeOrigin(i - j, e.seq + e.len - 1 - r.olSeq);
  });
  enc.forEach((r, i) => {
    if (r.orAgent < 0) return w.writeVarUint(0);
    const j = encOf.get(st.runOf(r.orAgent, r.orSeq)!)!;
    writeOrigin(j - i, r.orSeq - enc[j]!.seq);
  });
  w.writeString(visible.join(''));
  w.writeString(deleted.join(''));
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

function decodeBody(bytes: Uint8Array): DocState {
  if (bytes.length < 1) throw new DecodeError('truncated', 'empty text state');
  const version = bytes[0]!;
  if (version !== 1 && version !== STATE_VERSION) throw new DecodeError('version', `text state version ${version}`);
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
  log.reserve(nLog);
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
  const olRun = new Int32Array(n);
  const orA = new Int32Array(n).fill(-1);
  const orS = new Int32Array(n);
  const orRun = new Int32Array(n);
  for (let side = 0; side < 2; side++) {
    const oA = side === 0 ? olA : orA;
    const oS = side === 0 ? olS : orS;
    const oRun = side === 0 ? olRun : orRun;
    for (let i = 0; i < n; i++) {
      const v = rd.readVarUint();
      if (v === 0) continue;
      const d = unzig(Math.floor((v - 1) / 2));
      const j = side === 0 ? i - d : i + d;
      if (j < 0 || j >= n) throw new DecodeError('malformed', 'origin refers outside the document');
      const u = (v - 1) % 2 === 1 ? rd.readVarUint() + 1 : 0;
      if (u >= ln[j]!) throw new DecodeError('malformed', 'origin offset beyond its run');
      oA[i] = ag[j]!;
      oRun[i] = j;
      oS[i] = side === 0 ? sq[j]! + ln[j]! - 1 - u : sq[j]! + u;
    }
  }
  const text = rd.readString(body.length, 'text');
  const deletedText = version === 1 ? undefined : rd.readString(body.length, 'deleted text');
  rd.expectEnd('text state');
  const units = toUnits(text);
  const deletedUnits = deletedText === undefined ? undefined : toUnits(deletedText);

  // Runs of each agent in seq order must tile its insert ids exactly. On the way, note
  // the log span of each run's first id (runLog) and where that span ends (runSpanEnd).
  const byAgent = sortByAgentAndSeq(ag, sq, nAgents);
  const runLog = new Int32Array(n);
  const runSpanEnd = new Int32Array(n);
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
    let q = 0;
    for (const i of order) {
      if (k >= merged.length || sq[i] !== p) throw new DecodeError('malformed', 'runs do not tile the inserted ids');
      while (spans[q + 2]! <= p) q += 3;
      runLog[i] = spans[q + 1]!;
      runSpanEnd[i] = spans[q + 2]!;
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
  const posOf = (j: number, s: number): number => (s < runSpanEnd[j]! ? runLog[j]! : logPos(ag[j]!, s));
  for (let i = 0; i < n; i++) {
    const own = runLog[i]!;
    if (olA[i]! >= 0) {
      const at = posOf(olRun[i]!, olS[i]!);
      if (at > own || (at === own && olS[i]! >= sq[i]!)) throw new DecodeError('malformed', 'left origin inserted after its run');
    }
    if (orA[i]! >= 0) {
      const at = posOf(orRun[i]!, orS[i]!);
      if (at > own || (at === own && orS[i]! >= sq[i]!)) throw new DecodeError('malformed', 'right origin inserted after its run');
    }
  }
  // Deleted ids: merged target intervals, which must all be characters.
  const deletedIds = deleted.map(mergeIntervals);
  // startDel[i]: the last deleted interval starting at or before run i (-1: none), by a
  // sweep over each agent's runs in seq order.
  const startDel = new Int32Array(n);
  for (let a = 0; a < nAgents; a++) {
    const del = deletedIds[a]!;
    const ins = insertIds[a]!;
    for (let k = 0, c = 0; k < del.length; k += 2) {
      while (c < ins.length && ins[c + 1]! <= del[k]!) c += 2;
      if (c >= ins.length || del[k]! < ins[c]! || del[k + 1]! > ins[c + 1]!) throw new DecodeError('malformed', 'delete targets an id that is not a character');
    }
    let c = -1;
    for (const i of byAgent[a]!) {
      while (2 * c + 2 < del.length && del[2 * c + 2]! <= sq[i]!) c++;
      startDel[i] = c;
    }
  }
  // Runs split by deleted state, each takes its text.
  const runs: Run[] = [];
  const pieceStart = new Int32Array(n + 1);
  let tp = 0;
  let dp = 0;
  for (let i = 0; i < n; i++) {
    const a = ag[i]!;
    const del = deletedIds[a]!;
    const end = sq[i]! + ln[i]!;
    let p = sq[i]!;
    let c = startDel[i]!;
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
        st.writeText(a, p, units, tp, tp + q - p);
        tp += q - p;
      } else if (deletedUnits !== undefined) {
        if (dp + q - p > deletedUnits.length) throw new DecodeError('malformed', 'deleted text shorter than the deleted runs');
        st.writeText(a, p, deletedUnits, dp, dp + q - p);
        dp += q - p;
      }
      p = q;
      if (2 * c + 2 < del.length && p >= del[2 * c + 2]!) c++;
    }
    pieceStart[i + 1] = runs.length;
  }
  if (tp !== text.length) throw new DecodeError('malformed', 'text longer than the visible runs');
  if (deletedUnits !== undefined && dp !== deletedUnits.length) throw new DecodeError('malformed', 'deleted text longer than the deleted runs');
  st.list.load(runs, tp);
  st.loadedText = text;
  for (let a = 0; a < nAgents; a++) {
    const pieces: Run[] = [];
    for (const i of byAgent[a]!) for (let p = pieceStart[i]!; p < pieceStart[i + 1]!; p++) pieces.push(runs[p]!);
    st.list.indexes[a] = AgentIndex.fromSorted(pieces);
  }
  return st;
}

/** The UTF-16 units of a string (a native copy, no per-char loop). */
function toUnits(text: string): Uint16Array {
  const b = Buffer.from(text, 'utf16le');
  return b.byteOffset % 2 === 0 ? new Uint16Array(b.buffer, b.byteOffset, b.length >> 1) : new Uint16Array(Uint8Array.from(b).buffer);
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

/** 0..n-1 stably sorted by key(i), a non-negative int below 2^31 (LSD radix sort, 11-bit digits). */
function sortedBy(n: number, key: (i: number) => number): Int32Array {
  const keys = new Int32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const k = key(i);
    keys[i] = k;
    if (k > max) max = k;
  }
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let tmp = new Int32Array(n);
  const count = new Int32Array(2048);
  for (let shift = 0; shift < 31 && max >>> shift > 0; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & 2047]!++;
    for (let d = 0, sum = 0; d < 2048; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const o = order[i]!;
      tmp[count[(keys[o]! >>> shift) & 2047]!++] = o;
    }
    const t = order;
    order = tmp;
    tmp = t;
  }
  return order;
}
