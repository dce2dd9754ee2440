/**
 * The document as a list of runs (see run.ts), cut into blocks that cache their visible
 * length: an offset lookup walks blocks from the last position used (editing is local,
 * so this is usually zero or one step) and then the runs of one block. Every run also
 * sits in its agent's id index, for remote operations that name ids.
 *
 * Structural edits never split a block on the spot; callers call `settle(b)` once an
 * operation is complete so that indices found during the operation stay valid.
 */
import { AgentIndex } from './id-index.js';
import { Block, Run, canAppend, continues } from './run.js';

const MAX_RUNS = 64;

export class RunList {
  blocks: Block[] = [new Block()];
  /** Visible length in UTF-16 units. */
  length = 0;
  indexes: AgentIndex[] = [];
  /** Cached position: block `cb` starts at visible offset `cStart`. */
  private cb = 0;
  private cStart = 0;
  /** Result of find(): block, run index, offset in run. */
  fb = 0;
  fi = 0;
  fk = 0;

  index(agent: number): AgentIndex {
    let ix = this.indexes[agent];
    if (ix === undefined) {
      while (this.indexes.length <= agent) this.indexes.push(new AgentIndex());
      ix = this.indexes[agent]!;
    }
    return ix;
  }

  /** Replaces the content by runs in document order (decoding); indexes are built by the caller. */
  load(runs: Run[], length: number): void {
    const per = (MAX_RUNS * 3) >> 2;
    const blocks: Block[] = [];
    for (let i = 0; i < runs.length || blocks.length === 0; i += per) {
      const b = new Block();
      b.idx = blocks.length;
      const end = Math.min(runs.length, i + per);
      let vis = 0;
      for (let j = i; j < end; j++) {
        const r = runs[j]!;
        r.blk = b;
        if (!r.deleted) vis += r.len;
      }
      b.runs = runs.slice(i, end);
      b.vis = vis;
      blocks.push(b);
    }
    this.blocks = blocks;
    this.length = length;
    this.cb = 0;
    this.cStart = 0;
  }

  /** Locates the visible unit at `pos` (0 <= pos < length) into fb/fi/fk and returns its run. */
  find(pos: number): Run {
    const blocks = this.blocks;
    let b = this.cb;
    let start = this.cStart;
    while (pos < start) {
      b--;
      start -= blocks[b]!.vis;
    }
    let blk = blocks[b]!;
    while (pos >= start + blk.vis) {
      start += blk.vis;
      blk = blocks[++b]!;
    }
    this.cb = b;
    this.cStart = start;
    let rel = pos - start;
    const runs = blk.runs;
    let i = 0;
    let r = runs[0]!;
    for (; ; r = runs[++i]!) {
      if (!r.deleted) {
        if (rel < r.len) break;
        rel -= r.len;
      }
    }
    this.fb = b;
    this.fi = i;
    this.fk = rel;
    return r;
  }

  /** Visible offset at which block b starts. */
  blockStart(b: number): number {
    const blocks = this.blocks;
    let cb = this.cb;
    let start = this.cStart;
    while (cb > b) start -= blocks[--cb]!.vis;
    while (cb < b) start += blocks[cb++]!.vis;
    this.cb = cb;
    this.cStart = start;
    return start;
  }

  /** Visible offset of the start of run i of block b. */
  offsetOf(b: number, i: number): number {
    let off = this.blockStart(b);
    const runs = this.blocks[b]!.runs;
    for (let j = 0; j < i; j++) {
      const r = runs[j]!;
      if (!r.deleted) off += r.len;
    }
    return off;
  }

  /** The run after run i of block b in the list, or undefined at the end. */
  next(b: number, i: number): Run | undefined {
    const runs = this.blocks[b]!.runs;
    if (i + 1 < runs.length) return runs[i + 1];
    return this.blocks[b + 1]?.runs[0];
  }

  /** The run before run i of block b, or undefined at the start. */
  prev(b: number, i: number): Run | undefined {
    if (i > 0) return this.blocks[b]!.runs[i - 1];
    const pb = this.blocks[b - 1];
    return pb?.runs[pb.runs.length - 1];
  }

  /** Inserts a new run (not yet indexed) at index i of block b and indexes it as its agent's newest run. */
  insertNew(b: number, i: number, run: Run): void {
    this.blockStart(b); // keep the cached block at or before the one that changes
    const blk = this.blocks[b]!;
    blk.runs.splice(i, 0, run);
    run.blk = blk;
    if (!run.deleted) {
      blk.vis += run.len;
      this.length += run.len;
    }
    this.index(run.agent).append(run);
  }

  /** Splits run i of block b at offset k (0 < k < len); the right part becomes run i+1. */
  split(b: number, i: number, k: number): Run {
    const blk = this.blocks[b]!;
    const r = blk.runs[i]!;
    const right = new Run(r.agent, r.seq + k, r.len - k, r.agent, r.seq + k - 1, r.orAgent, r.orSeq, r.deleted);
    right.blk = blk;
    r.len = k;
    blk.runs.splice(i + 1, 0, right);
    this.indexes[r.agent]!.insertAfter(r, right);
    return right;
  }

  private removeAt(blk: Block, i: number): void {
    const r = blk.runs[i]!;
    blk.runs.splice(i, 1);
    this.indexes[r.agent]!.remove(r);
  }

  /**
   * Deletes units [k, k+take) of run i of block b (a visible run). Tombstones of one
   * typing run are merged back together so that backspacing does not fragment the list.
   */
  deleteIn(b: number, i: number, k: number, take: number): void {
    this.blockStart(b);
    const blk = this.blocks[b]!;
    const runs = blk.runs;
    const r = runs[i]!;
    blk.vis -= take;
    this.length -= take;
    if (k === 0) {
      const p = i > 0 ? runs[i - 1]! : undefined;
      const pMerge = p !== undefined && p.deleted && continues(p, r);
      if (take === r.len) {
        r.deleted = true;
        let at = i;
        if (pMerge) {
          p.len += r.len;
          this.removeAt(blk, i);
          at = i - 1;
        }
        const x = runs[at]!;
        const n = runs[at + 1];
        if (n !== undefined && canAppend(x, n)) {
          x.len += n.len;
          this.removeAt(blk, at + 1);
        }
        return;
      }
      if (pMerge) {
        // Move the boundary: the first `take` units join the tombstone before.
        p.len += take;
        this.shiftStart(r, take);
        return;
      }
      this.split(b, i, take);
      r.deleted = true;
      return;
    }
    if (k + take === r.len) {
      const n = runs[i + 1];
      if (n !== undefined && n.deleted && continues(r, n)) {
        r.len -= take;
        this.shiftStart(n, -take);
        return;
      }
      this.split(b, i, k).deleted = true;
      return;
    }
    this.split(b, i, k + take);
    this.split(b, i, k).deleted = true;
  }

  /** Moves the start of run r by `by` units (its left origin follows: it stays the previous char). */
  private shiftStart(r: Run, by: number): void {
    const old = r.seq;
    r.seq += by;
    r.len -= by;
    r.olSeq = r.seq - 1;
    this.indexes[r.agent]!.rekey(r, old);
  }

  /** Splits block b when it grew past MAX_RUNS. */
  settle(b: number): void {
    const blk = this.blocks[b];
    if (blk === undefined || blk.runs.length <= MAX_RUNS) return;
    const nb = new Block();
    nb.runs = blk.runs.splice(blk.runs.length >> 1);
    let vis = 0;
    for (const r of nb.runs) {
      r.blk = nb;
      if (!r.deleted) vis += r.len;
    }
    nb.vis = vis;
    blk.vis -= vis;
    this.blocks.splice(b + 1, 0, nb);
    for (let j = b + 1; j < this.blocks.length; j++) this.blocks[j]!.idx = j;
    if (this.cb > b) this.cb++;
  }

  /** Position of a run in the list: sets fb/fi (no visible offset). */
  locate(r: Run): void {
    const blk = r.blk;
    this.fb = blk.idx;
    this.fi = blk.runs.indexOf(r);
  }
}
