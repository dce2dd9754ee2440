/**
 * Authenticated encryption: XChaCha20-Poly1305 (@noble/ciphers). The 24-byte nonce is
 * large enough to pick at random for every message.
 *
 * Sealed layout: nonce (24) || ciphertext (len(plaintext)) || tag (16).
 * Decryption failures of any kind (short input, wrong key, tampered nonce, ciphertext,
 * tag or associated data) throw DecryptError and nothing else.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concatBytes, requireLength } from './bytes-util.js';
import { DecryptError } from './errors.js';
import { randomBytes, type RandomSource } from './random.js';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;

export function encrypt(key: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array, random?: RandomSource): Uint8Array {
  return encryptWithNonce(key, randomBytes(AEAD_NONCE_BYTES, random), plaintext, aad);
}

/**
 * Same layout as encrypt(), with a caller-chosen nonce. Only for keys that are never
 * reused with another plaintext under the same nonce: convergent encryption (chunks),
 * where key and nonce are both derived from the content, or one-shot keys.
 */
export function encryptWithNonce(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  requireLength('AEAD key', key, AEAD_KEY_BYTES);
  requireLength('AEAD nonce', nonce, AEAD_NONCE_BYTES);
  const out = new Uint8Array(AEAD_NONCE_BYTES + plaintext.length + AEAD_TAG_BYTES);
  out.set(nonce, 0);
  xchacha20poly1305(key, nonce, aad).encrypt(plaintext, out.subarray(AEAD_NONCE_BYTES));
  return out;
}

export function decrypt(key: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== AEAD_KEY_BYTES) throw new DecryptError('key must be 32 bytes');
  if (!(sealed instanceof Uint8Array) || sealed.length < AEAD_NONCE_BYTES + AEAD_TAG_BYTES) {
    throw new DecryptError('sealed data is too short to hold a nonce and a tag');
  }
  const nonce = sealed.subarray(0, AEAD_NONCE_BYTES);
  try {
    return xchacha20poly1305(key, nonce, aad).decrypt(sealed.subarray(AEAD_NONCE_BYTES));
  } catch {
    throw new DecryptError('authentication failed: wrong key, or the data or its context was altered');
  }
}

/** Exposed for seal.ts, which derives its nonce instead of storing it. */
export function encryptDetachedNonce(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  return encryptWithNonce(key, nonce, plaintext, aad).subarray(AEAD_NONCE_BYTES);
}

export function decryptDetachedNonce(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array {
  return decrypt(key, concatBytes(nonce, ciphertext), aad);
}
