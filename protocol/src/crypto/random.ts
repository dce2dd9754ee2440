/**
 * Randomness is injected (sans-I/O): every function that needs random bytes takes an
 * optional RandomSource, so tests and the simulator can pass a seeded one.
 */

/** Returns n fresh random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** getRandomValues fills at most 65,536 bytes per call. */
const MAX_GET_RANDOM = 65_536;

/** The platform CSPRNG (WebCrypto getRandomValues, present in Node >= 19 and browsers). */
export const defaultRandom: RandomSource = (n) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += MAX_GET_RANDOM) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + MAX_GET_RANDOM)));
  }
  return out;
};

export function randomBytes(n: number, random: RandomSource = defaultRandom): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`randomBytes: bad length ${n}`);
  const out = random(n);
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new RangeError(`randomBytes: the random source returned ${out?.length} bytes, expected ${n}`);
  }
  return out;
}
