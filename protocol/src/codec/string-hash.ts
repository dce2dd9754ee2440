/**
 * A fast 32-bit hash of a string, for spreading keys (not for security): FNV-1a over the
 * UTF-16 code units, then murmur3's finaliser (fmix32), since FNV's low bits alone spread
 * similar keys poorly. `seed` gives independent hashes of one string (Bloom filters).
 */
export function stringHash32(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
