/**
 * Authenticated encryption: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha). The 24-byte
 * nonce is large enough to pick at random for every message.
 *
 * XChaCha20-Poly1305 is HChaCha20(key, nonce[0..16]) -> subkey, then the IETF
 * ChaCha20-Poly1305 (RFC 8439) with nonce 0x00000000 || nonce[16..24]. The `native`
 * backend does exactly that with @noble/ciphers' hchacha and node:crypto's
 * chacha20-poly1305 (OpenSSL, ~15x faster on large buffers, see bench/crypto.ts);
 * the `noble` backend uses @noble/ciphers' xchacha20poly1305. Same bytes either way;
 * native is used only after a self-test shows it agrees with noble.
 *
 * Sealed layout: nonce (24) || ciphertext (len(plaintext)) || tag (16).
 * Decryption failures of any kind (short input, wrong key, tampered nonce, ciphertext,
 * tag or associated data) throw DecryptError and nothing else.
 */
import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import * as nodeCrypto from 'node:crypto';
import { bytesEqual, concatBytes, requireLength } from './bytes-util.js';
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
  activeAead().seal(key, nonce, plaintext, aad, out.subarray(AEAD_NONCE_BYTES));
  return out;
}

export function decrypt(key: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== AEAD_KEY_BYTES) throw new DecryptError('key must be 32 bytes');
  if (!(sealed instanceof Uint8Array) || sealed.length < AEAD_NONCE_BYTES + AEAD_TAG_BYTES) {
    throw new DecryptError('sealed data is too short to hold a nonce and a tag');
  }
  const nonce = sealed.subarray(0, AEAD_NONCE_BYTES);
  try {
    return activeAead().open(key, nonce, sealed.subarray(AEAD_NONCE_BYTES), aad);
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

/** One XChaCha20-Poly1305 implementation. `open` throws (any error) when authentication fails. */
export interface AeadBackend {
  readonly name: 'native' | 'noble';
  /** Writes ciphertext || tag into `out` (plaintext.length + 16 bytes). */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined, out: Uint8Array): void;
  open(key: Uint8Array, nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array | undefined): Uint8Array;
}

export const nobleAead: AeadBackend = {
  name: 'noble',
  seal: (key, nonce, plaintext, aad, out) => void xchacha20poly1305(key, nonce, aad).encrypt(plaintext, out),
  open: (key, nonce, ciphertextAndTag, aad) => xchacha20poly1305(key, nonce, aad).decrypt(ciphertextAndTag),
};

const SIGMA = new Uint32Array(new Uint8Array(new TextEncoder().encode('expand 32-byte k')).buffer);

/** HChaCha20 subkey and the 12-byte IETF nonce for one XChaCha20 nonce. */
function subkeyAndNonce(key: Uint8Array, nonce: Uint8Array): { subkey: Uint8Array; ietfNonce: Uint8Array } {
  const k = new Uint32Array(8);
  new Uint8Array(k.buffer).set(key);
  const n = new Uint32Array(4);
  new Uint8Array(n.buffer).set(nonce.subarray(0, 16));
  const out = new Uint32Array(8);
  hchacha(SIGMA, k, n, out);
  k.fill(0);
  const ietfNonce = new Uint8Array(12);
  ietfNonce.set(nonce.subarray(16, 24), 4);
  return { subkey: new Uint8Array(out.buffer), ietfNonce };
}

export const nativeAead: AeadBackend = {
  name: 'native',
  seal(key, nonce, plaintext, aad, out) {
    const { subkey, ietfNonce } = subkeyAndNonce(key, nonce);
    const c = nodeCrypto.createCipheriv('chacha20-poly1305', subkey, ietfNonce, { authTagLength: AEAD_TAG_BYTES });
    subkey.fill(0);
    if (aad && aad.length > 0) c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    const tail = c.final();
    out.set(body, 0);
    out.set(tail, body.length);
    out.set(c.getAuthTag(), plaintext.length);
  },
  open(key, nonce, ciphertextAndTag, aad) {
    const split = ciphertextAndTag.length - AEAD_TAG_BYTES;
    const { subkey, ietfNonce } = subkeyAndNonce(key, nonce);
    const d = nodeCrypto.createDecipheriv('chacha20-poly1305', subkey, ietfNonce, { authTagLength: AEAD_TAG_BYTES });
    subkey.fill(0);
    d.setAuthTag(ciphertextAndTag.subarray(split));
    if (aad && aad.length > 0) d.setAAD(aad, { plaintextLength: split });
    const body = d.update(ciphertextAndTag.subarray(0, split));
    const tail = d.final(); // throws when the tag does not match
    const out = new Uint8Array(body.length + tail.length);
    out.set(body, 0);
    out.set(tail, body.length);
    return out;
  },
};

/** Native must produce noble's bytes (and open them) on a fixed input before it is used. */
function nativeAgreesWithNoble(): boolean {
  try {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const nonce = Uint8Array.from({ length: 24 }, (_, i) => 255 - i * 3);
    const aad = Uint8Array.of(1, 2, 3);
    const pt = Uint8Array.from({ length: 100 }, (_, i) => i);
    const a = new Uint8Array(pt.length + AEAD_TAG_BYTES);
    const b = new Uint8Array(pt.length + AEAD_TAG_BYTES);
    nativeAead.seal(key, nonce, pt, aad, a);
    nobleAead.seal(key, nonce, pt, aad, b);
    return bytesEqual(a, b) && bytesEqual(nativeAead.open(key, nonce, b, aad), pt);
  } catch {
    return false;
  }
}

let aead: AeadBackend | undefined;

/** The backend encrypt/decrypt use: native when it works here, noble otherwise. */
export function activeAead(): AeadBackend {
  return (aead ??= nativeAgreesWithNoble() ? nativeAead : nobleAead);
}
