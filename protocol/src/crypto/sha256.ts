/**
 * SHA-256 and HMAC-SHA-256 from node:crypto (OpenSSL). Used where throughput matters:
 * content-addressed chunks hash every byte of a file twice (the convergent key of the
 * plaintext, the id of the ciphertext). noble's BLAKE3 (hash.ts) measured 7-30 MB/s
 * on this project's machines against ~0.9-1 GB/s for native SHA-256 (bench/chunks.ts).
 */
import * as nodeCrypto from 'node:crypto';
import { requireLength } from './bytes-util.js';

export const SHA256_BYTES = 32;

/** SHA-256. An array is hashed as the concatenation of its parts, without concatenating. */
export function sha256(data: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const h = nodeCrypto.createHash('sha256');
  if (data instanceof Uint8Array) h.update(data);
  else for (const part of data) h.update(part);
  return toPlain(h.digest());
}

const oneShot = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

/**
 * SHA-256 as 64 lowercase hex characters: `toHex(sha256(data))` in one native call
 * (crypto.hash, Node >= 20.12; createHash before), without the digest Buffer and the
 * JS hex loop. Chunk ids are this, once per chunk.
 */
export function sha256Hex(data: Uint8Array): string {
  if (oneShot) return oneShot('sha256', data, 'hex');
  return nodeCrypto.createHash('sha256').update(data).digest('hex');
}

/** HMAC-SHA-256 with a 32-byte key (a PRF / MAC). */
export function hmacSha256(key: Uint8Array, data: Uint8Array | readonly Uint8Array[]): Uint8Array {
  requireLength('hmacSha256 key', key, 32);
  const h = nodeCrypto.createHmac('sha256', key);
  if (data instanceof Uint8Array) h.update(data);
  else for (const part of data) h.update(part);
  return toPlain(h.digest());
}

/** A plain Uint8Array over the Buffer's bytes (callers compare and store Uint8Arrays). */
function toPlain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
