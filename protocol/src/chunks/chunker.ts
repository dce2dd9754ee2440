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
    const carry = this.carry;
    if (carry.length === 0) return this.cutAll(piece, 0, false);
    // Only chunks that start in the carry (shorter than `max`) need joined bytes, and
    // they end within `max` bytes of their start: join the carry with at most `max`
    // bytes of the piece, not the whole piece, then go on in the piece itself.
    const max = this.boundaries.sizes.max;
    const take = piece.length < max ? piece.length : max;
    const head = new Uint8Array(carry.length + take);
    head.set(carry, 0);
    head.set(piece.subarray(0, take), carry.length);
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < carry.length) {
      // with `take` = max, at least `max` bytes follow `at`: the cut is the one the whole input gives
      const len = this.boundaries.cut(head, at, head.length, false);
      if (len === 0) {
        // only when the piece was shorter than `max`, so `head` is all the input there is
        this.carry = head.slice(at);
        return out;
      }
      out.push(head.subarray(at, at + len));
      at += len;
    }
    for (const c of this.cutAll(piece, at - carry.length, false)) out.push(c);
    return out;
  }

  /** The last chunk(s); the chunker is empty afterwards. */
  finish(): Uint8Array[] {
    const data = this.carry;
    this.carry = new Uint8Array(0);
    return this.cutAll(data, 0, true);
  }

  private cutAll(data: Uint8Array, from: number, final: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = from;
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
