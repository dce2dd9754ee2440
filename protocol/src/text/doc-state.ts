/**
 * Everything a text replica stores: interned agents, the version vector, each agent's
 * content (UTF-16 units indexed by seq, so runs need no strings of their own), the run
 * list and the op log. The API lives in text-doc.ts, merging in integrate.ts, the
 * encoding in state-codec.ts.
 */
import { OpLog } from './op-log.js';
import type { Run } from './run.js';
import { RunList } from './run-list.js';

export class DocState {
  readonly agents: string[] = [];
  private readonly agentIds = new Map<string, number>();
  /** vv[a] = ids of agent a held (0..vv[a]-1). */
  vv: number[] = [];
  /**
   * content[a][seq >> CHUNK_BITS][seq & CHUNK_MASK] = the UTF-16 unit inserted by id a:seq.
   * Chunks are allocated on first write, so ids that never carry text (delete ids,
   * decoded tombstones) cost nothing; unwritten units read as 0.
   */
  content: Array<Array<Uint16Array | undefined>> = [];
  readonly list = new RunList();
  readonly log = new OpLog();
  /** The visible text when known right after decoding (taken by TextDoc as its cache). */
  loadedText: string | null = null;

  agentOf(name: string): number | undefined {
    return this.agentIds.get(name);
  }

  intern(name: string): number {
    let a = this.agentIds.get(name);
    if (a === undefined) {
      a = this.agents.length;
      this.agents.push(name);
      this.agentIds.set(name, a);
      this.vv.push(0);
      this.content.push([]);
      this.list.index(a);
    }
    return a;
  }

  /** Stores src[from..to) (a string's or an array's UTF-16 units) as the units of ids a:seq.. */
  writeText(a: number, seq: number, src: string | Uint16Array, from = 0, to = src.length): void {
    const chunks = this.content[a]!;
    for (let i = from; i < to; ) {
      const s = seq + i - from;
      const ci = s >>> CHUNK_BITS;
      let c = chunks[ci];
      // Holes stay holes (a sparse array), so far-apart ids cost one chunk each.
      if (c === undefined) chunks[ci] = c = new Uint16Array(CHUNK_SIZE);
      const n = Math.min(to - i, CHUNK_SIZE - (s & CHUNK_MASK));
      const o = s & CHUNK_MASK;
      if (typeof src === 'string') for (let k = 0; k < n; k++) c[o + k] = src.charCodeAt(i + k);
      else if (n > 32) c.set(src.subarray(i, i + n), o);
      else for (let k = 0; k < n; k++) c[o + k] = src[i + k]!;
      i += n;
    }
  }

  /** The UTF-16 unit of id a:seq (0 if it never carried text). */
  unit(a: number, seq: number): number {
    return this.content[a]![seq >>> CHUNK_BITS]?.[seq & CHUNK_MASK] ?? 0;
  }

  /** The text of ids a:from .. a:to-1. */
  textOf(a: number, from: number, to: number): string {
    const chunks = this.content[a]!;
    const parts: string[] = [];
    while (from < to) {
      const c = chunks[from >>> CHUNK_BITS] ?? EMPTY;
      const o = from & CHUNK_MASK;
      const n = Math.min(to - from, CHUNK_SIZE - o);
      parts.push(String.fromCharCode.apply(null, c.subarray(o, o + n) as unknown as number[]));
      from += n;
    }
    return parts.length === 1 ? parts[0]! : parts.join('');
  }

  /** The run holding id a:seq, if it is an inserted character. */
  runOf(a: number, seq: number): Run | undefined {
    return this.list.indexes[a]?.find(seq);
  }

  /** The visible text. */
  visibleText(): string {
    const out: string[] = [];
    for (const blk of this.list.blocks) {
      for (const r of blk.runs) if (!r.deleted) out.push(this.textOf(r.agent, r.seq, r.seq + r.len));
    }
    return out.join('');
  }
}

const CHUNK_BITS = 10;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** Placeholder for chunks never written. */
const EMPTY = new Uint16Array(CHUNK_SIZE);
