/**
 * Content-defined chunking, FastCDC style (Xia et al., 2016/2020): a gear rolling hash
 * (h = (h << 1) + gear[byte]) is tested against a mask after every byte; a boundary
 * falls where the masked bits are all zero, so boundaries depend only on the ~32 bytes
 * before them and an edit moves at most the boundaries near it. Normalised chunking:
 * no test before `min`, a harder mask (more bits) up to `avg`, an easier one up to
 * `max`, a forced cut at `max`; this narrows the size spread around `avg`. The loop
 * consumes two bytes per step (FastCDC 2020's "rolling two bytes"): it checks the hash
 * after the first byte through a mask shifted left by one.
 *
 * The gear table is keyed by the share (convergent.ts), so boundaries, and thus the
 * sizes a broker sees, cannot be predicted for a guessed file.
 */

export interface ChunkSizes {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

/**
 * 8 / 16 / 64 KiB: a 1-byte change rewrites one chunk (~20 KiB on average, at most
 * 64 KiB) plus the tree nodes above it; 200 MB gives ~10,000 chunks.
 */
export const DEFAULT_CHUNK_SIZES: ChunkSizes = { min: 8 * 1024, avg: 16 * 1024, max: 64 * 1024 };

/** Masks of `bits` one-bits, placed at bits 30 down so that `mask << 1` still fits in 32 bits. */
function maskOf(bits: number): number {
  return ((2 ** bits - 1) * 2 ** (31 - bits)) | 0;
}

/** A boundary test for one (gear, sizes) pair. */
export class ChunkBoundaries {
  private readonly gearShifted: Int32Array;
  private readonly maskS: number;
  private readonly maskL: number;

  constructor(
    private readonly gear: Int32Array,
    readonly sizes: ChunkSizes = DEFAULT_CHUNK_SIZES,
  ) {
    if (gear.length !== 256) throw new RangeError('gear table must have 256 entries');
    if (!(sizes.min >= 64 && sizes.min <= sizes.avg && sizes.avg <= sizes.max)) throw new RangeError(`bad chunk sizes ${JSON.stringify(sizes)}`);
    const bits = Math.round(Math.log2(sizes.avg));
    this.maskS = maskOf(bits + 2);
    this.maskL = maskOf(bits - 2);
    this.gearShifted = gear.map((g) => g << 1);
  }

  /**
   * The length of the chunk that starts at `start` in data[start..end). When `final` is
   * false and no boundary is found before `end`, returns 0 (more input is needed).
   */
  cut(data: Uint8Array, start: number, end: number, final: boolean): number {
    const { min, avg, max } = this.sizes;
    const left = end - start;
    if (left <= min) return final ? left : 0;
    const n = left < max ? left : max;
    const normal = start + (avg < n ? avg : n);
    const stop = start + n;
    const gear = this.gear;
    const gearShifted = this.gearShifted;
    const maskS = this.maskS;
    const maskS2 = maskS << 1;
    const maskL = this.maskL;
    const maskL2 = maskL << 1;
    let h = 0;
    let i = start + min;
    for (; i + 1 < normal; i += 2) {
      h = ((h << 2) + gearShifted[data[i]!]!) | 0;
      if ((h & maskS2) === 0) return i + 1 - start;
      h = (h + gear[data[i + 1]!]!) | 0;
      if ((h & maskS) === 0) return i + 2 - start;
    }
    for (; i + 1 < stop; i += 2) {
      h = ((h << 2) + gearShifted[data[i]!]!) | 0;
      if ((h & maskL2) === 0) return i + 1 - start;
      h = (h + gear[data[i + 1]!]!) | 0;
      if ((h & maskL) === 0) return i + 2 - start;
    }
    if (left >= max || final) return n;
    return 0;
  }
}

/**
 * Streaming chunker: push pieces of any size, get back whole chunks. The boundaries do
 * not depend on how the input was split into pieces. Returned chunks are views into the
 * pushed piece or into an internal copy; use them before changing the pushed bytes.
 */
export class Chunker {
  private carry: Uint8Array = new Uint8Array(0);

  constructor(private readonly boundaries: ChunkBoundaries) {}

  push(piece: Uint8Array): Uint8Array[] {
    if (piece.length === 0) return [];
    let data = piece;
    if (this.carry.length > 0) {
      data = new Uint8Array(this.carry.length + piece.length);
      data.set(this.carry, 0);
      data.set(piece, this.carry.length);
    }
    return this.cutAll(data, false);
  }

  /** The last chunk(s); the chunker is empty afterwards. */
  finish(): Uint8Array[] {
    const data = this.carry;
    this.carry = new Uint8Array(0);
    return this.cutAll(data, true);
  }

  private cutAll(data: Uint8Array, final: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      if (at >= data.length) break;
      const len = this.boundaries.cut(data, at, data.length, final);
      if (len === 0) break;
      out.push(data.subarray(at, at + len));
      at += len;
    }
    this.carry = final ? new Uint8Array(0) : data.slice(at);
    return out;
  }
}
