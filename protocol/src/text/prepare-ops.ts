/**
 * Validation of a remote batch before anything is applied (applyRemote is atomic):
 * each op is checked against the replica plus the batch's own earlier ops. Ops already
 * held are dropped, partly held ones trimmed; an op needing ids not held yet throws
 * MissingDependencyError, one that can never apply throws InvalidOpError.
 */
import type { DocState } from './doc-state.js';
import { MAX_AGENT_LENGTH, MAX_SEQ } from './limits.js';
import { InvalidOpError, MissingDependencyError, type Id, type TextOp } from './types.js';

/** A validated, trimmed op ready to integrate. For a delete, `l` is its target. */
export interface Prepared {
  del: boolean;
  agent: string;
  seq: number;
  n: number;
  text: string;
  l: Id | null;
  r: Id | null;
}

export function checkAgent(agent: unknown): string {
  if (typeof agent !== 'string' || agent.length === 0 || agent.length > MAX_AGENT_LENGTH) throw new InvalidOpError(`bad agent id`);
  return agent;
}

/**
 * Validates a batch against this replica plus the batch's own earlier ops, without
 * changing anything. Returns the ops still to apply (held ones dropped, partly held
 * ones trimmed). For a delete, `l` is its target.
 */
export function prepareOps(st: DocState, ops: readonly TextOp[]): Prepared[] {
  const out: Prepared[] = [];
  // Ids added by earlier ops of this batch: agent -> next seq, and insert spans.
  const next = new Map<string, number>();
  const inserted = new Map<string, number[]>();
  const held = (agent: string): number => {
    const n = next.get(agent);
    if (n !== undefined) return n;
    const a = st.agentOf(agent);
    return a === undefined ? 0 : st.vv[a]!;
  };
  /** Checks that ids seq..seq+len-1 of agent exist and are characters. */
  const checkChars = (agent: string, seq: number, len: number, self: string, selfSeq: number, what: string): void => {
    if (!Number.isInteger(seq) || seq < 0 || seq + len > MAX_SEQ) throw new InvalidOpError(`${what}: bad seq`);
    const end = seq + len;
    if (end > held(agent)) {
      if (agent === self && end > selfSeq) throw new InvalidOpError(`${what} refers to a later id of its own author`);
      throw new MissingDependencyError({ agent, seq: Math.max(seq, held(agent)) }, `${what} needs ${agent}:${end - 1}`);
    }
    const a = st.agentOf(agent);
    let s = seq;
    const base = a === undefined ? 0 : st.vv[a]!;
    while (s < end && s < base) {
      const r = st.runOf(a!, s);
      if (r === undefined) throw new InvalidOpError(`${what}: ${agent}:${s} is not a character`);
      s = r.seq + r.len;
    }
    if (s >= end) return;
    const spans = inserted.get(agent) ?? [];
    for (let j = 0; j < spans.length && s < end; j += 2) {
      if (spans[j]! <= s && s < spans[j + 1]!) s = spans[j + 1]!;
    }
    if (s < end) throw new InvalidOpError(`${what}: ${agent}:${s} is not a character`);
  };
  for (const op of ops) {
    if (op === null || typeof op !== 'object') throw new InvalidOpError('op is not an object');
    const agent = checkAgent(op.agent);
    let seq = op.seq;
    const cur = held(agent);
    if (op.kind === 'insert') {
      let text = op.text;
      if (typeof text !== 'string' || text.length === 0) throw new InvalidOpError('insert without text');
      if (!Number.isInteger(seq) || seq < 0 || seq + text.length > MAX_SEQ) throw new InvalidOpError('bad seq');
      if (seq + text.length <= cur) continue;
      if (seq > cur) throw new MissingDependencyError({ agent, seq: cur }, `op ${agent}:${seq} needs ${agent}:${cur}`);
      let l = op.originLeft;
      const r = op.originRight;
      if (seq < cur) {
        text = text.slice(cur - seq);
        l = { agent, seq: cur - 1 };
        seq = cur;
      }
      for (const o of [l, r]) {
        if (o === null) continue;
        if (typeof o !== 'object') throw new InvalidOpError('bad origin');
        checkChars(checkAgent(o.agent), o.seq, 1, agent, seq, 'origin');
      }
      out.push({ del: false, agent, seq, n: text.length, text, l: l && { agent: l.agent, seq: l.seq }, r: r && { agent: r.agent, seq: r.seq } });
      let spans = inserted.get(agent);
      if (spans === undefined) inserted.set(agent, (spans = []));
      spans.push(seq, seq + text.length);
    } else if (op.kind === 'delete') {
      let len = op.length;
      const t = op.target;
      if (!Number.isInteger(len) || len < 1 || !Number.isInteger(seq) || seq < 0 || seq + len > MAX_SEQ) throw new InvalidOpError('bad delete length or seq');
      if (t === null || typeof t !== 'object') throw new InvalidOpError('delete without target');
      if (seq + len <= cur) continue;
      if (seq > cur) throw new MissingDependencyError({ agent, seq: cur }, `op ${agent}:${seq} needs ${agent}:${cur}`);
      let ts = t.seq;
      if (seq < cur) {
        ts += cur - seq;
        len -= cur - seq;
        seq = cur;
      }
      checkChars(checkAgent(t.agent), ts, len, agent, seq, 'delete target');
      out.push({ del: true, agent, seq, n: len, text: '', l: { agent: t.agent, seq: ts }, r: null });
    } else {
      throw new InvalidOpError('unknown op kind');
    }
    next.set(agent, seq + out[out.length - 1]!.n);
  }
  return out;
}
