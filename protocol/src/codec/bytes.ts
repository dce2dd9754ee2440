/**
 * Byte-level reader and writer shared by every encoding in Weft.
 *
 * Integers are unsigned LEB128 varints (7 bits per byte, little-endian groups,
 * high bit = continuation), limited to 2^53 - 1 so they stay exact in a JS number.
 * Signed integers use zig-zag on top. Byte strings and UTF-8 strings are a varint
 * length followed by the bytes. A reader never allocates more than the bytes it was
 * given and every length is checked against the remaining input before use.
 * Canonical form: a varint must be minimal (no trailing 0x80 groups), so that
 * every value has exactly one encoding and hashes of encodings are stable.
 */
import { DecodeError } from './errors.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const utf8Encoder = new TextEncoder();
// ignoreBOM: a string that starts with U+FEFF (a file's byte-order mark) keeps it; the default would drop it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  writeU8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  writeVarUint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varuint out of range: ${v}`);
    this.ensure(8);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Zig-zag signed varint. */
  writeVarInt(v: number): void {
    if (!Number.isSafeInteger(v) || Math.abs(v) > MAX_SAFE / 2) throw new RangeError(`varint out of range: ${v}`);
    this.writeVarUint(v < 0 ? -2 * v - 1 : 2 * v);
  }

  writeFixed(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  writeBytes(bytes: Uint8Array): void {
    this.writeVarUint(bytes.length);
    this.writeFixed(bytes);
  }

  writeString(s: string): void {
    // Worst case 3 bytes per UTF-16 unit.
    const max = s.length * 3;
    if (max < 128) {
      this.ensure(1 + max);
      const start = this.pos + 1;
      const { written } = utf8Encoder.encodeInto(s, this.buf.subarray(start));
      this.buf[this.pos] = written;
      this.pos = start + written;
    } else {
      this.writeBytes(utf8Encoder.encode(s));
    }
  }

  writeBool(b: boolean): void {
    this.writeU8(b ? 1 : 0);
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class ByteReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  readU8(): number {
    if (this.pos >= this.buf.length) throw new DecodeError('truncated', 'expected a byte');
    return this.buf[this.pos++]!;
  }

  readVarUint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.buf.length) throw new DecodeError('truncated', 'varint cut short');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new DecodeError('malformed', 'non-minimal varint');
        if (result > MAX_SAFE) throw new DecodeError('overflow', 'varint above 2^53');
        return result;
      }
      mul *= 0x80;
      if (i >= 7) throw new DecodeError('overflow', 'varint longer than 8 bytes');
    }
  }

  readVarInt(): number {
    const z = this.readVarUint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A varuint that must be <= max (for lengths and counts). */
  readLength(max: number, what = 'length'): number {
    const n = this.readVarUint();
    if (n > max) throw new DecodeError('too-large', `${what} ${n} exceeds limit ${max}`);
    return n;
  }

  /** A count of items that each take at least `minItemBytes` bytes: bounded by the input left. */
  readCount(max: number, minItemBytes = 1, what = 'count'): number {
    const n = this.readLength(max, what);
    if (n * minItemBytes > this.remaining) throw new DecodeError('truncated', `${what} ${n} exceeds remaining input`);
    return n;
  }

  readFixed(n: number): Uint8Array {
    // A computed length (e.g. from readVarInt) must never move the reader backwards.
    if (!Number.isSafeInteger(n) || n < 0) throw new DecodeError('malformed', `bad fixed length ${n}`);
    if (n > this.remaining) throw new DecodeError('truncated', `expected ${n} bytes, have ${this.remaining}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  readBytes(max: number, what = 'bytes'): Uint8Array {
    const n = this.readLength(max, what);
    return this.readFixed(n);
  }

  readString(max: number, what = 'string'): string {
    const bytes = this.readBytes(max, what);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw new DecodeError('malformed', `${what} is not valid UTF-8`);
    }
  }

  readBool(): boolean {
    const b = this.readU8();
    if (b > 1) throw new DecodeError('malformed', `bool byte ${b}`);
    return b === 1;
  }

  /** Fails unless every byte was consumed (canonical encodings have no trailing bytes). */
  expectEnd(what = 'message'): void {
    if (this.pos !== this.buf.length) throw new DecodeError('malformed', `${this.remaining} trailing bytes after ${what}`);
  }
}

/** The concatenation of byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
