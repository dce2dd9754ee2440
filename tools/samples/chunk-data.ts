/** Deterministic test files and helpers for the chunk tests and the benchmark. */
import { convergenceKeys, type ConvergenceKeys } from '../../protocol/src/index.js';

/** Pseudo-random bytes, a pure function of (seed, offset), filled 4 bytes at a time. */
export function fillPattern(seed: number, offset: number, out: Uint8Array): void {
  if (offset % 4 !== 0) throw new RangeError('fillPattern: offset must be a multiple of 4');
  const words = new Uint32Array(Math.ceil(out.length / 4));
  for (let i = 0; i < words.length; i++) {
    // A stateless mix of (seed, word index): any piece can be regenerated on its own.
    let x = Math.imul((offset / 4 + i) ^ Math.imul(seed, 0x9e3779b1), 0x85ebca6b) >>> 0;
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35) >>> 0;
    x ^= x >>> 16;
    words[i] = x;
  }
  out.set(new Uint8Array(words.buffer, 0, out.length));
}

export function patternBytes(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  fillPattern(seed, 0, out);
  return out;
}

/** A share's keys from a one-byte label (tests only). */
export function testKeys(label: number): ConvergenceKeys {
  return convergenceKeys(new Uint8Array(32).fill(label));
}
