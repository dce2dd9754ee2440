/**
 * Input generation for the fuzz test: a seeded PRNG, random inputs and structure-aware
 * mutations of valid samples (bit flips, byte insert/delete/overwrite, truncation,
 * splicing two samples, duplicated ranges, and huge or non-minimal varints).
 */

import { prng } from '../../../protocol/sim/prng.js';
export { prng };

export class FuzzInput {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = (this.next() * 4294967296) >>> 0;
      out[i] = v;
      if (i + 1 < n) out[i + 1] = v >>> 8;
      if (i + 2 < n) out[i + 2] = v >>> 16;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }

  random(maxLength: number): Uint8Array {
    return this.bytes(this.int(maxLength + 1));
  }

  /** 1 to 4 stacked mutations of one sample (sometimes spliced with another). */
  mutate(samples: readonly Uint8Array[]): Uint8Array {
    let b = samples[this.int(samples.length)]!;
    const rounds = 1 + this.int(4);
    for (let i = 0; i < rounds; i++) b = this.mutateOnce(b, samples);
    return b;
  }

  private mutateOnce(b: Uint8Array, samples: readonly Uint8Array[]): Uint8Array {
    const at = this.int(b.length + 1);
    switch (this.int(9)) {
      case 0: { // flip one bit
        if (b.length === 0) return b;
        const c = b.slice();
        const i = Math.min(at, b.length - 1);
        c[i]! ^= 1 << this.int(8);
        return c;
      }
      case 1: // insert random bytes
        return concat(b.subarray(0, at), this.bytes(1 + this.int(4)), b.subarray(at));
      case 2: // delete a few bytes
        return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + this.int(4))));
      case 3: // truncate
        return b.subarray(0, at);
      case 4: { // splice: a prefix of this one, a suffix of another
        const o = samples[this.int(samples.length)]!;
        return concat(b.subarray(0, at), o.subarray(this.int(o.length + 1)));
      }
      case 5: // a huge, overlong or non-minimal varint
        return concat(b.subarray(0, at), HOSTILE_VARINTS[this.int(HOSTILE_VARINTS.length)]!, b.subarray(at));
      case 6: { // overwrite one byte with a boundary value
        if (b.length === 0) return b;
        const c = b.slice();
        c[Math.min(at, b.length - 1)] = BOUNDARY[this.int(BOUNDARY.length)]!;
        return c;
      }
      case 7: { // duplicate a range (repeated fields, doubled lists)
        const end = Math.min(b.length, at + 1 + this.int(40));
        return concat(b.subarray(0, end), b.subarray(at, end), b.subarray(end));
      }
      default: // overwrite a varint-sized run with a hostile varint
        return concat(b.subarray(0, at), HOSTILE_VARINTS[this.int(HOSTILE_VARINTS.length)]!, b.subarray(Math.min(b.length, at + 1 + this.int(3))));
    }
  }
}

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x40];

const HOSTILE_VARINTS: Uint8Array[] = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32 - 1
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], // 2^53 - 1
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // 2^56 - 1: above 2^53
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 10 bytes
  [0x80, 0x80, 0x80, 0x00], // non-minimal zero
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80], // never ends
  [0x80, 0x80, 0x80, 0x04], // 2^23: a large length
  [0xff, 0xff, 0x03], // 65535
].map((a) => Uint8Array.from(a));

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
