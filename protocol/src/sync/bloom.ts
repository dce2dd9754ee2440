/**
 * A Bloom filter over commit ids, as in Automerge's sync protocol. Commit ids are
 * already uniform BLAKE3 outputs, so the probes come straight from the id: three
 * 32-bit big-endian words w0, w1, w2 (id bytes 0-3, 4-7, 8-11), then
 *   x = w0 mod m, y = w1 mod m, z = w2 mod m; for each of k probes: test bit x;
 *   x = (x + y) mod m; y = (y + z) mod m           (enhanced double hashing)
 * With 10 bits per entry and 7 probes the false-positive rate is about 0.8%.
 *
 * Wire format (inside a sync message):
 *   var  m, the number of bits (0 = the empty filter, which contains nothing)
 *   if m > 0:
 *     u8   k, the number of probes (1..MAX_BLOOM_HASHES)
 *     ceil(m / 8) bytes; bit i is (byte[i >> 3] >> (i & 7)) & 1; the unused high bits
 *     of the last byte are 0 (one encoding per filter)
 */
import type { ByteReader, ByteWriter } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import type { CommitId } from '../log/ids.js';

export const MAX_BLOOM_HASHES = 32;
export const DEFAULT_BLOOM_BITS_PER_ENTRY = 10;
export const DEFAULT_BLOOM_HASHES = 7;

export interface BloomShape {
  /** Bits per entry (any positive number; below 1 forces false positives, for tests). */
  bitsPerEntry: number;
  hashes: number;
  /** Upper bound on the filter's size; a filter capped by it just has more false positives. */
  maxBytes: number;
}

export class CommitBloom {
  private constructor(
    readonly bitCount: number,
    readonly hashes: number,
    private readonly bits: Uint8Array,
  ) {}

  static readonly empty = new CommitBloom(0, 0, new Uint8Array(0));

  static build(ids: readonly CommitId[], shape: BloomShape): CommitBloom {
    if (!(shape.bitsPerEntry > 0) || !Number.isInteger(shape.hashes) || shape.hashes < 1 || shape.hashes > MAX_BLOOM_HASHES) {
      throw new RangeError(`bad Bloom shape: ${shape.bitsPerEntry} bits per entry, ${shape.hashes} hashes`);
    }
    if (ids.length === 0) return CommitBloom.empty;
    const bitCount = Math.max(8, Math.min(Math.ceil(ids.length * shape.bitsPerEntry), Math.max(1, shape.maxBytes) * 8));
    const bloom = new CommitBloom(bitCount, shape.hashes, new Uint8Array(Math.ceil(bitCount / 8)));
    for (const id of ids) bloom.probe(id, true);
    return bloom;
  }

  /** False means "certainly not in the set"; true may be a false positive. */
  has(id: CommitId): boolean {
    return this.bitCount > 0 && this.probe(id, false);
  }

  get byteLength(): number {
    return this.bits.length;
  }

  private probe(id: CommitId, set: boolean): boolean {
    const m = this.bitCount;
    let x = parseInt(id.slice(0, 8), 16) % m;
    let y = parseInt(id.slice(8, 16), 16) % m;
    const z = parseInt(id.slice(16, 24), 16) % m;
    for (let i = 0; i < this.hashes; i++) {
      const byte = x >>> 3;
      const mask = 1 << (x & 7);
      if (set) this.bits[byte]! |= mask;
      else if ((this.bits[byte]! & mask) === 0) return false;
      x = (x + y) % m;
      y = (y + z) % m;
    }
    return true;
  }

  write(w: ByteWriter): void {
    w.writeVarUint(this.bitCount);
    if (this.bitCount === 0) return;
    w.writeU8(this.hashes);
    w.writeFixed(this.bits);
  }

  static read(r: ByteReader, maxBytes: number): CommitBloom {
    const bitCount = r.readLength(maxBytes * 8, 'Bloom filter bits');
    if (bitCount === 0) return CommitBloom.empty;
    const hashes = r.readU8();
    if (hashes < 1 || hashes > MAX_BLOOM_HASHES) throw new DecodeError('malformed', `Bloom filter with ${hashes} hashes`);
    const bits = r.readFixed(Math.ceil(bitCount / 8)).slice();
    const spare = bits.length * 8 - bitCount;
    if (spare > 0 && bits[bits.length - 1]! >>> (8 - spare) !== 0) {
      throw new DecodeError('malformed', 'Bloom filter has bits set past its end');
    }
    return new CommitBloom(bitCount, hashes, bits);
  }
}
