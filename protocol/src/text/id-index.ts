/**
 * Per-agent id index: the runs of one agent sorted by seq, kept in chunks of at most
 * CHUNK runs so that a split (insert after a run) or a merge (remove) moves few
 * pointers. Lookup is two binary searches.
 */
import type { Run } from './run.js';

const CHUNK = 128;

export class AgentIndex {
  private chunks: Run[][] = [[]];
  /** seq of each chunk's first run (chunks are never empty except a lone first chunk). */
  private firsts: number[] = [0];

  /** Builds from runs already sorted by seq. */
  static fromSorted(runs: Run[]): AgentIndex {
    const ix = new AgentIndex();
    if (runs.length === 0) return ix;
    ix.chunks = [];
    ix.firsts = [];
    for (let i = 0; i < runs.length; i += CHUNK >> 1) {
      const c = runs.slice(i, i + (CHUNK >> 1));
      ix.chunks.push(c);
      ix.firsts.push(c[0]!.seq);
    }
    return ix;
  }

  private chunkOf(seq: number): number {
    const f = this.firsts;
    let lo = 0;
    let hi = f.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (f[mid]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private static posIn(c: Run[], seq: number): number {
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (c[mid]!.seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The run holding `seq`, or undefined when seq is not an inserted character of this agent. */
  find(seq: number): Run | undefined {
    const c = this.chunks[this.chunkOf(seq)]!;
    if (c.length === 0) return undefined;
    const r = c[AgentIndex.posIn(c, seq)]!;
    return r.seq <= seq && seq < r.seq + r.len ? r : undefined;
  }

  /** Adds a run whose seq is above every indexed run. */
  append(run: Run): void {
    const last = this.chunks.length - 1;
    const c = this.chunks[last]!;
    if (c.length === 0) this.firsts[last] = run.seq;
    c.push(run);
    if (c.length >= CHUNK) this.splitChunk(last);
  }

  /** Adds `run` right after `prev` (a split of prev). */
  insertAfter(prev: Run, run: Run): void {
    const ci = this.chunkOf(prev.seq);
    const c = this.chunks[ci]!;
    c.splice(AgentIndex.posIn(c, prev.seq) + 1, 0, run);
    if (c.length >= CHUNK) this.splitChunk(ci);
  }

  remove(run: Run): void {
    const ci = this.chunkOf(run.seq);
    const c = this.chunks[ci]!;
    const i = AgentIndex.posIn(c, run.seq);
    if (c[i] !== run) return;
    c.splice(i, 1);
    if (c.length === 0 && this.chunks.length > 1) {
      this.chunks.splice(ci, 1);
      this.firsts.splice(ci, 1);
    } else if (i === 0 && c.length > 0) this.firsts[ci] = c[0]!.seq;
  }

  /** Call after run.seq moved from `oldSeq` (its order among the agent's runs unchanged). */
  rekey(run: Run, oldSeq: number): void {
    const ci = this.chunkOf(oldSeq);
    if (this.chunks[ci]![0] === run) this.firsts[ci] = run.seq;
  }

  private splitChunk(ci: number): void {
    const c = this.chunks[ci]!;
    const right = c.splice(c.length >> 1);
    this.chunks.splice(ci + 1, 0, right);
    this.firsts.splice(ci + 1, 0, right[0]!.seq);
  }
}
