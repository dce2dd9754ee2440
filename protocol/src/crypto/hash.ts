/**
 * Hashing: BLAKE3-256 (content ids, commit ids, chunk ids) and HKDF-SHA-256 for
 * deriving keys. Node has no BLAKE3, so both come from @noble/hashes.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { requireLength, utf8 } from './bytes-util.js';

export const HASH_BYTES = 32;

/** BLAKE3-256. An array is hashed as the concatenation of its parts, without concatenating. */
export function hash(data: Uint8Array | readonly Uint8Array[]): Uint8Array {
  if (data instanceof Uint8Array) return blake3(data);
  const h = blake3.create();
  for (const part of data) h.update(part);
  return h.digest();
}

/** BLAKE3 keyed mode (a MAC / PRF); key is 32 bytes. */
export function keyedHash(key: Uint8Array, data: Uint8Array): Uint8Array {
  requireLength('keyedHash key', key, 32);
  return blake3(data, { key });
}

/** HKDF-SHA-256 (RFC 5869). `info` names the purpose, e.g. 'weft/chunk-key/v1'. */
export function deriveKey(ikm: Uint8Array, info: string, salt?: Uint8Array, length = 32): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 1 || length > 255 * 32) throw new RangeError(`deriveKey: bad length ${length}`);
  return hkdf(sha256, ikm, salt, utf8(info), length);
}
