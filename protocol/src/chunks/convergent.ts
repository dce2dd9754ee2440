/**
 * Convergent encryption of one chunk, per share.
 *
 *   key   = HMAC-SHA-256(chunkKeySecret, plaintext)
 *   nonce = SHA-256("weft/chunk-nonce/v1" || key)[0..24]
 *   ciphertext = XChaCha20-Poly1305(key, nonce, plaintext)   (nonce || body || tag)
 *   id    = SHA-256(ciphertext)
 *
 * Equal plaintexts in one share give equal keys, ciphertexts and ids, so they are stored
 * once. A fixed nonce per key is safe because a key is only ever used for the one
 * plaintext it was derived from. Without the share's convergence secret an outsider
 * cannot compute the key (or the id) of a guessed chunk, so cannot confirm a guess; and
 * the chunk boundaries come from a gear table keyed by the same secret (chunker.ts), so
 * the sequence of chunk sizes does not fingerprint a known file either.
 */
import { AEAD_NONCE_BYTES, decrypt, DecryptError, deriveKey, encryptWithNonce, hmacSha256, sha256 } from '../crypto/index.js';
import { chunkIdOf, matchesId, type ChunkId, type ChunkRef } from './chunk-id.js';
import { CorruptObjectError, TamperedChunkError } from './errors.js';

/** What a share derives once from its convergence secret. */
export interface ConvergenceKeys {
  /** The HMAC key for chunk keys. */
  readonly chunkKeySecret: Uint8Array;
  /** The gear table for content-defined chunking (256 entries). */
  readonly gear: Int32Array;
}

/** Bytes added to each chunk by encryption: the stored nonce and the tag. */
export const CHUNK_OVERHEAD_BYTES = AEAD_NONCE_BYTES + 16;

const NONCE_LABEL = new TextEncoder().encode('weft/chunk-nonce/v1');

/**
 * Derives the per-share keys from the share's 32-byte convergence secret (which members
 * hold alongside the share key and which brokers never see).
 */
export function convergenceKeys(convergenceSecret: Uint8Array): ConvergenceKeys {
  if (convergenceSecret.length < 32) throw new RangeError('convergence secret must be at least 32 bytes');
  const chunkKeySecret = deriveKey(convergenceSecret, 'weft/chunk-key/v1');
  const gearBytes = deriveKey(convergenceSecret, 'weft/chunk-gear/v1', undefined, 1024);
  const view = new DataView(gearBytes.buffer, gearBytes.byteOffset, gearBytes.byteLength);
  const gear = new Int32Array(256);
  for (let i = 0; i < 256; i++) gear[i] = view.getInt32(i * 4, true);
  return { chunkKeySecret, gear };
}

export interface SealedChunk {
  readonly ref: ChunkRef;
  readonly ciphertext: Uint8Array;
}

export function sealChunk(keys: ConvergenceKeys, plaintext: Uint8Array): SealedChunk {
  const key = hmacSha256(keys.chunkKeySecret, plaintext);
  const nonce = sha256([NONCE_LABEL, key]).subarray(0, AEAD_NONCE_BYTES);
  const ciphertext = encryptWithNonce(key, nonce, plaintext);
  return { ref: { id: chunkIdOf(ciphertext), key, size: plaintext.length }, ciphertext };
}

/** Checks the ciphertext against the id (TamperedChunkError), then decrypts it. */
export function openChunk(ref: { readonly id: ChunkId; readonly key: Uint8Array }, ciphertext: Uint8Array): Uint8Array {
  if (!matchesId(ref.id, ciphertext)) throw new TamperedChunkError(ref.id);
  try {
    return decrypt(ref.key, ciphertext);
  } catch (err) {
    if (err instanceof DecryptError) throw new CorruptObjectError(`chunk ${ref.id.slice(0, 16)}… matches its id but not its key: the reference is wrong`);
    throw err;
  }
}
