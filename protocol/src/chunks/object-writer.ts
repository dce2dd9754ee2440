/**
 * Turns a file's bytes, streamed in pieces of any size, into encrypted chunks linked in
 * a Merkle tree. Sans-I/O: write() and finish() return the chunks to store; the caller
 * stores them (ChunkStore.put) in any order.
 *
 * Data chunks (height 0) come from the content-defined chunker. Their references are
 * grouped into tree nodes (height 1), whose references are grouped into nodes of
 * height 2, and so on up to one root. Grouping is content-defined as well: a node ends
 * after a child whose id ends in `log2(fanout.avg)` zero bits, or at `fanout.max`
 * children, so an insertion in the file changes only the nodes on the path to the
 * changed chunks instead of regrouping everything after it.
 */
import { type ChunkRef, type ObjectRef } from './chunk-id.js';
import { Chunker, ChunkBoundaries, DEFAULT_CHUNK_SIZES, type ChunkSizes } from './chunker.js';
import { encodeTreeNode, MAX_TREE_FANOUT, MAX_TREE_HEIGHT } from './codec.js';
import { sealChunk, type ConvergenceKeys, type SealedChunk } from './convergent.js';

export interface TreeFanout {
  /** Average children per node; a power of two. */
  readonly avg: number;
  readonly max: number;
}

/** ~32 children (a ~2.3 KB node), at most 128 (~9 KB). */
export const DEFAULT_FANOUT: TreeFanout = { avg: 32, max: 128 };

export interface ObjectWriterInit {
  readonly chunkSizes?: ChunkSizes;
  readonly fanout?: TreeFanout;
}

/** A chunk to store, with its place in the tree (0: data; h > 0: a tree node). */
export interface WrittenChunk extends SealedChunk {
  readonly height: number;
}

export interface WrittenObject {
  readonly root: ObjectRef;
  /** The last chunks to store (the rest came from write()). */
  readonly chunks: WrittenChunk[];
}

export class ObjectWriter {
  private readonly chunker: Chunker;
  private readonly fanout: TreeFanout;
  /** levels[h]: references waiting to be grouped into a node of height h + 1. */
  private readonly levels: ChunkRef[][] = [[]];
  private leaves = 0;
  private finished = false;

  constructor(
    private readonly keys: ConvergenceKeys,
    init: ObjectWriterInit = {},
  ) {
    this.chunker = new Chunker(new ChunkBoundaries(keys.gear, init.chunkSizes ?? DEFAULT_CHUNK_SIZES));
    this.fanout = init.fanout ?? DEFAULT_FANOUT;
    const { avg, max } = this.fanout;
    if (!(avg >= 2 && (avg & (avg - 1)) === 0 && max >= avg && max <= MAX_TREE_FANOUT)) throw new RangeError(`bad fanout ${JSON.stringify(this.fanout)}`);
  }

  /** Adds the next bytes of the file; returns the chunks completed so far. */
  write(bytes: Uint8Array): WrittenChunk[] {
    if (this.finished) throw new Error('ObjectWriter: write() after finish()');
    const out: WrittenChunk[] = [];
    for (const piece of this.chunker.push(bytes)) this.addLeaf(piece, out);
    return out;
  }

  finish(): WrittenObject {
    if (this.finished) throw new Error('ObjectWriter: finish() twice');
    this.finished = true;
    const out: WrittenChunk[] = [];
    for (const piece of this.chunker.finish()) this.addLeaf(piece, out);
    if (this.leaves === 0) this.addLeaf(new Uint8Array(0), out);
    for (let h = 0; ; h++) {
      const top = this.levels.length - 1;
      const level = this.levels[h]!;
      if (h === top && level.length === 1) return { root: { ...level[0]!, height: h }, chunks: out };
      if (level.length > 0) this.sealNode(h, out);
    }
  }

  private addLeaf(plaintext: Uint8Array, out: WrittenChunk[]): void {
    const sealed = sealChunk(this.keys, plaintext);
    out.push({ ...sealed, height: 0 });
    this.leaves++;
    this.add(0, sealed.ref, out);
  }

  private add(h: number, ref: ChunkRef, out: WrittenChunk[]): void {
    const level = (this.levels[h] ??= []);
    level.push(ref);
    const idTail = parseInt(ref.id.slice(-4), 16);
    if ((idTail & (this.fanout.avg - 1)) === 0 || level.length >= this.fanout.max) this.sealNode(h, out);
  }

  private sealNode(h: number, out: WrittenChunk[]): void {
    const children = this.levels[h]!;
    this.levels[h] = [];
    if (h + 1 > MAX_TREE_HEIGHT) throw new RangeError('object too large for the tree height limit');
    let size = 0;
    for (const c of children) size += c.size;
    const sealed = sealChunk(this.keys, encodeTreeNode({ height: h + 1, children }));
    const ref: ChunkRef = { id: sealed.ref.id, key: sealed.ref.key, size };
    out.push({ ref, ciphertext: sealed.ciphertext, height: h + 1 });
    this.add(h + 1, ref, out);
  }
}

/** A whole in-memory file in one call (tests, small files). */
export function writeObject(keys: ConvergenceKeys, bytes: Uint8Array, init?: ObjectWriterInit): WrittenObject {
  const w = new ObjectWriter(keys, init);
  const first = w.write(bytes);
  const last = w.finish();
  return { root: last.root, chunks: [...first, ...last.chunks] };
}
