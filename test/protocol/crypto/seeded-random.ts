import type { RandomSource } from '../../../protocol/src/crypto/index.js';

/** A deterministic RandomSource (xorshift32) for repeatable tests. Not for real keys. */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}
