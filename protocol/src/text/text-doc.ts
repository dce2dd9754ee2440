/**
 * TextDoc: one replica of a shared text (see integrate.ts for the merge rule and
 * run.ts / run-list.ts for the representation).
 *
 * Offsets and lengths are UTF-16 units, as in VS Code. A surrogate pair is never split:
 * an insert inside a pair moves after it, a delete range cutting a pair is widened.
 *
 * Remote operations: `applyRemote` applies a batch atomically. Ops already held are
 * skipped (idempotent, also for a partly held op). If an op needs ids this replica
 * does not hold yet it throws MissingDependencyError and applies nothing; the caller
 * (the log layer, which already buffers commits with missing dependencies) retries
 * later. An op that can never apply throws InvalidOpError, also applying nothing.
 *
 * The agent id must be unique per replica: two replicas editing under one agent id
 * would give different characters the same id. (One user on two devices needs two
 * agent ids, e.g. the key id plus a device or session suffix.)
 */
import { DocState } from './doc-state.js';
import { integrateDelete, integrateInsert } from './integrate.js';
import { MAX_AGENT_LENGTH, MAX_SEQ } from './limits.js';
import { DEL_BACK, DEL_FWD, INSERT } from './op-log.js';
import { Run } from './run.js';
import { prepareOps } from './prepare-ops.js';
import { stateAt } from './state-at.js';
import { decodeDocState, encodeDocState } from './state-codec.js';
import { MissingDependencyError, type Anchor, type Hunk, type Id, type TextChange, type TextOp, type VersionVector } from './types.js';

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

export class TextDoc {
  private readonly st: DocState;
  private readonly me: number;
  readonly agent: string;
  private text: string | null = '';

  /** `state` is internal (decodeState); applications pass only the agent id. */
  constructor(agent: string, state?: DocState) {
    if (typeof agent !== 'string' || agent.length === 0 || agent.length > MAX_AGENT_LENGTH) throw new RangeError('agent must be a non-empty string of at most 256 units');
    this.agent = agent;
    this.st = state ?? new DocState();
    this.me = this.st.intern(agent);
    if (state) {
      this.text = state.loadedText;
      state.loadedText = null;
    }
  }

  static decodeState(bytes: Uint8Array, agent: string): TextDoc {
    return new TextDoc(agent, decodeDocState(bytes));
  }

  encodeState(): Uint8Array {
    return encodeDocState(this.st);
  }

  get length(): number {
    return this.st.list.length;
  }

  toString(): string {
    return (this.text ??= this.st.visibleText());
  }

  version(): VersionVector {
    const v = new Map<string, number>();
    this.st.agents.forEach((name, a) => {
      const n = this.st.vv[a]!;
      if (n > 0) v.set(name, n);
    });
    return v;
  }

  private unitAt(pos: number): number {
    const r = this.st.list.find(pos);
    return this.st.unit(r.agent, r.seq + this.st.list.fk);
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.st.list.length) {
      throw new RangeError(`range ${offset}+${length} outside text of length ${this.st.list.length}`);
    }
  }

  private id(a: number, seq: number): Id | null {
    return a < 0 ? null : { agent: this.st.agents[a]!, seq };
  }

  insert(offset: number, text: string): TextOp[] {
    this.checkRange(offset, 0);
    const n = text.length;
    if (n === 0) return [];
    const st = this.st;
    const list = st.list;
    const me = this.me;
    const seq = st.vv[me]!;
    if (seq + n > MAX_SEQ) throw new RangeError('agent id space exhausted');
    let olA = -1;
    let olS = 0;
    let orA = -1;
    let orS = 0;
    let b = 0;
    let at = 0; // index in block b of the new run
    if (offset > 0) {
      let r = list.find(offset - 1);
      if (isHigh(st.unit(r.agent, r.seq + list.fk)) && offset < list.length && isLow(this.unitAt(offset))) {
        offset++;
        r = list.find(offset - 1);
      }
      const k = list.fk;
      b = list.fb;
      at = list.fi + 1;
      olA = r.agent;
      olS = r.seq + k;
      if (k < r.len - 1) {
        orA = r.agent;
        orS = olS + 1;
        list.split(b, list.fi, k + 1);
      } else {
        const nx = list.next(b, list.fi);
        if (nx !== undefined) {
          orA = nx.agent;
          orS = nx.seq;
        }
        if (r.agent === me && r.seq + r.len === seq && r.orAgent === orA && r.orSeq === orS) {
          // Typing on: the run grows, nothing else changes.
          r.len += n;
          r.blk.vis += n;
          list.length += n;
          at = -1;
        }
      }
    } else {
      list.blockStart(0); // the cached position must not sit after the block that grows
      const first = list.blocks[0]!.runs[0];
      if (first !== undefined) {
        orA = first.agent;
        orS = first.seq;
      }
    }
    if (at >= 0) {
      list.insertNew(b, at, new Run(me, seq, n, olA, olS, orA, orS, false));
      list.settle(b);
    }
    st.writeText(me, seq, text);
    st.vv[me] = seq + n;
    st.log.addInsert(me, seq, n);
    this.text = null;
    return [{ kind: 'insert', agent: this.agent, seq, originLeft: this.id(olA, olS), originRight: this.id(orA, orS), text }];
  }

  delete(offset: number, length: number): TextOp[] {
    this.checkRange(offset, length);
    if (length === 0) return [];
    const st = this.st;
    const list = st.list;
    if (offset > 0 && isLow(this.unitAt(offset)) && isHigh(this.unitAt(offset - 1))) {
      offset--;
      length++;
    }
    const end = offset + length;
    if (end < list.length && isHigh(this.unitAt(end - 1)) && isLow(this.unitAt(end))) length++;
    const me = this.me;
    if (st.vv[me]! + length > MAX_SEQ) throw new RangeError('agent id space exhausted');
    const ops: TextOp[] = [];
    while (length > 0) {
      const r = list.find(offset);
      const b = list.fb;
      const k = list.fk;
      const take = Math.min(length, r.len - k);
      const tA = r.agent;
      const tS = r.seq + k;
      list.deleteIn(b, list.fi, k, take);
      list.settle(b);
      const seq = st.vv[me]!;
      st.vv[me] = seq + take;
      st.log.addDelete(me, seq, take, tA, tS);
      ops.push({ kind: 'delete', agent: this.agent, seq, target: { agent: st.agents[tA]!, seq: tS }, length: take });
      length -= take;
    }
    this.text = null;
    return ops;
  }

  /** Applies remote ops (in causal order) and returns the editor changes, in order. */
  applyRemote(ops: readonly TextOp[]): TextChange[] {
    const prepared = prepareOps(this.st, ops);
    const st = this.st;
    const changes: TextChange[] = [];
    for (const p of prepared) {
      const a = st.intern(p.agent);
      if (p.del) {
        integrateDelete(st, a, p.seq, st.agentOf(p.l!.agent)!, p.l!.seq, p.n, changes);
      } else {
        const l = p.l;
        const r = p.r;
        integrateInsert(
          st,
          a,
          p.seq,
          p.text,
          l ? st.agentOf(l.agent)! : -1,
          l ? l.seq : 0,
          r ? st.agentOf(r.agent)! : -1,
          r ? r.seq : 0,
          changes,
        );
      }
    }
    if (prepared.length > 0) this.text = null;
    return changes;
  }

  /** Every op the holder of `v` lacks, in a causal order. */
  opsSince(v: VersionVector): TextOp[] {
    return this.opsBetween(this.st.agents.map((name) => v.get(name) ?? 0), this.st.vv);
  }

  /**
   * Every op of the ids in `v` (agent:0 .. agent:v[agent]-1), in a causal order: what the
   * holder of exactly `v` had, if this replica once held `v` (see `textAt`).
   */
  opsWithin(v: VersionVector): TextOp[] {
    const st = this.st;
    return this.opsBetween(st.agents.map(() => 0), st.agents.map((name, a) => Math.min(v.get(name) ?? 0, st.vv[a]!)));
  }

  /** The ops of ids from[a] .. to[a]-1 of each agent a, in log (causal) order, spans clipped at both edges. */
  private opsBetween(from: readonly number[], to: readonly number[]): TextOp[] {
    const st = this.st;
    const log = st.log;
    const out: TextOp[] = [];
    for (let j = 0; j < log.count; j++) {
      const a = log.agent[j]!;
      const s = log.seq[j]!;
      const e = Math.min(s + log.len[j]!, to[a]!);
      const f = Math.max(s, from[a]!);
      if (f >= e) continue;
      const kind = log.kind[j];
      const agent = st.agents[a]!;
      if (kind === INSERT) this.insertsOf(a, f, e, out);
      else {
        const target = st.agents[log.tAgent[j]!]!;
        const tS = log.tSeq[j]!;
        if (kind === DEL_FWD) out.push({ kind: 'delete', agent, seq: f, target: { agent: target, seq: tS + (f - s) }, length: e - f });
        else if (kind === DEL_BACK) for (let q = f; q < e; q++) out.push({ kind: 'delete', agent, seq: q, target: { agent: target, seq: tS - (q - s) }, length: 1 });
      }
    }
    return out;
  }

  /** Insert ops for ids a:f .. a:e-1 (all characters), one per typing run. */
  private insertsOf(a: number, f: number, e: number, out: TextOp[]): void {
    const st = this.st;
    let s = f;
    while (s < e) {
      const r = st.runOf(a, s)!;
      const first = s === r.seq;
      let t = Math.min(e, r.seq + r.len);
      while (t < e) {
        const n = st.runOf(a, t)!;
        if (n.seq === t && n.olAgent === a && n.olSeq === t - 1 && n.orAgent === r.orAgent && n.orSeq === r.orSeq) t = Math.min(e, n.seq + n.len);
        else break;
      }
      out.push({
        kind: 'insert',
        agent: st.agents[a]!,
        seq: s,
        originLeft: first ? this.id(r.olAgent, r.olSeq) : this.id(a, s - 1),
        originRight: this.id(r.orAgent, r.orSeq),
        text: st.textOf(a, s, t),
      });
      s = t;
    }
  }

  /**
   * The visible text as it was when this replica held exactly `v`: a version it held once
   * (an earlier `version()`), or any causally complete set of its ids. Costs one pass
   * over the document's runs and log (no replay).
   */
  textAt(v: VersionVector): string {
    return this.holdsExactly(v) ? this.toString() : this.replicaAt(v).toString();
  }

  /**
   * Makes, as this replica's own next ops, the edit that turns `textAt(v)` by `hunks` (in
   * that text's offsets, ascending, non-overlapping), with the origins the characters had
   * at `v`; applies them here and returns them (to stage, like insert's and delete's).
   * The text is what a replica at `v` typing the edit and then merging everything this
   * one holds would show: concurrent inserts order by the merge rule, a character both
   * deleted is deleted once, a concurrent insert inside a deleted range stays.
   */
  editAt(v: VersionVector, hunks: readonly Hunk[]): TextOp[] {
    if (this.holdsExactly(v)) return this.applyHunks(hunks);
    const old = this.replicaAt(v);
    const ops = renumberOps(old.applyHunks(hunks), this.agent, v.get(this.agent) ?? 0, this.st.vv[this.me]!);
    this.applyRemote(ops);
    return ops;
  }

  /**
   * The ops of the edit that turns `textAt(v)` by `hunks`, made as `author` (a name of
   * its own, not this replica's: its ids start at 0) with the origins of `v` — not
   * applied (applyRemote them). They depend only on `v`, `hunks` and `author`, so two
   * replicas making the same edit at the same version make the same ops, and a replica
   * that holds them already skips them: the same change brought in twice (two members
   * pulling one Git commit) lands once.
   */
  opsOfEditAs(v: VersionVector, hunks: readonly Hunk[], author: string): TextOp[] {
    if (typeof author !== 'string' || author.length === 0 || author.length > MAX_AGENT_LENGTH || author === this.agent) throw new RangeError('the author must be a name of its own');
    const old = this.replicaAt(v);
    return reassignOps(old.applyHunks(hunks), this.agent, v.get(this.agent) ?? 0, author);
  }

  /** The authors (agents) of the characters in `[from, to)` of `textAt(v)`. */
  authorsAt(v: VersionVector, from: number, to: number): Set<string> {
    const doc = this.holdsExactly(v) ? this : this.replicaAt(v);
    const st = doc.st;
    const out = new Set<string>();
    for (let pos = from; pos < to; ) {
      const r = st.list.find(pos);
      out.add(st.agents[r.agent]!);
      pos += r.len - st.list.fk; // the rest of this run
    }
    return out;
  }

  /** Applies hunks of the current text as local edits, the last first so that each offset still holds. */
  private applyHunks(hunks: readonly Hunk[]): TextOp[] {
    checkHunks(hunks, this.length);
    const ops: TextOp[] = [];
    for (let i = hunks.length - 1; i >= 0; i--) {
      const h = hunks[i]!;
      for (const op of this.delete(h.offset, h.deleteCount)) ops.push(op);
      for (const op of this.insert(h.offset, h.insert)) ops.push(op);
    }
    return ops;
  }

  /** True if `v` names exactly the ids this replica holds. */
  private holdsExactly(v: VersionVector): boolean {
    let named = 0;
    for (const [name, n] of v) {
      if (n === 0) continue;
      const a = this.st.agentOf(name);
      if (a === undefined || this.st.vv[a] !== n) return false;
      named++;
    }
    return named === this.st.vv.filter((n) => n > 0).length;
  }

  /** A replica (same agent) holding exactly the ids of `v`, built from this one (state-at.ts). */
  private replicaAt(v: VersionVector): TextDoc {
    for (const [name, n] of v) {
      const a = this.st.agentOf(name);
      if (n > (a === undefined ? 0 : this.st.vv[a]!)) throw new RangeError(`the version names ${name}:${n - 1}, which this replica does not hold`);
    }
    const to = this.st.agents.map((name) => v.get(name) ?? 0);
    return new TextDoc(this.agent, stateAt(this.st, to, this.me));
  }

  anchorAt(offset: number, bias: 'before' | 'after'): Anchor {
    this.checkRange(offset, 0);
    const list = this.st.list;
    if (bias === 'before' ? offset === 0 : offset === list.length) return { id: null, bias };
    const r = list.find(bias === 'before' ? offset - 1 : offset);
    return { id: this.id(r.agent, r.seq + list.fk), bias };
  }

  /** Current offset of an anchor; MissingDependencyError if its character is not held yet. */
  offsetOf(anchor: Anchor): number {
    const list = this.st.list;
    if (anchor.id === null) return anchor.bias === 'before' ? 0 : list.length;
    const a = this.st.agentOf(anchor.id.agent);
    const r = a === undefined ? undefined : this.st.runOf(a, anchor.id.seq);
    if (r === undefined) throw new MissingDependencyError(anchor.id, `anchor character ${anchor.id.agent}:${anchor.id.seq} is unknown`);
    list.locate(r);
    const off = list.offsetOf(list.fb, list.fi);
    if (r.deleted) return off;
    return off + (anchor.id.seq - r.seq) + (anchor.bias === 'before' ? 1 : 0);
  }
}

/** Throws unless `hunks` are ascending, non-overlapping ranges of a text of `length` units. */
function checkHunks(hunks: readonly Hunk[], length: number): void {
  let end = 0;
  for (const h of hunks) {
    if (!Number.isInteger(h.offset) || !Number.isInteger(h.deleteCount) || h.offset < end || h.deleteCount < 0 || h.offset + h.deleteCount > length || typeof h.insert !== 'string') {
      throw new RangeError(`hunk ${h.offset}+${h.deleteCount} is not ascending and inside a text of length ${length}`);
    }
    end = h.offset + h.deleteCount;
  }
}

/**
 * Moves ops that `agent` made on a replica whose next id was `from` to ids starting at
 * `to`; references to ids below `from` (characters both replicas hold) stay.
 */
function renumberOps(ops: readonly TextOp[], agent: string, from: number, to: number): TextOp[] {
  const shift = to - from;
  const id = (x: Id): Id => (x.agent === agent && x.seq >= from ? { agent, seq: x.seq + shift } : x);
  return ops.map((op) =>
    op.kind === 'insert'
      ? { ...op, seq: op.seq + shift, originLeft: op.originLeft && id(op.originLeft), originRight: op.originRight && id(op.originRight) }
      : { ...op, seq: op.seq + shift, target: id(op.target) },
  );
}

/** The ops, and what they reference, of `agent` from id `from` on, as `author`'s ids from 0. */
function reassignOps(ops: readonly TextOp[], agent: string, from: number, author: string): TextOp[] {
  const id = (x: Id): Id => (x.agent === agent && x.seq >= from ? { agent: author, seq: x.seq - from } : x);
  return ops.map((op) =>
    op.kind === 'insert'
      ? { ...op, agent: author, seq: op.seq - from, originLeft: op.originLeft && id(op.originLeft), originRight: op.originRight && id(op.originRight) }
      : { ...op, agent: author, seq: op.seq - from, target: id(op.target) },
  );
}
