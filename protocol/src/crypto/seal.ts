/**
 * Anonymous sealed boxes: encrypt a secret (an epoch key, a share invitation) to a
 * member knowing only their Ed25519 public key. The recipient's Ed25519 key is mapped
 * to X25519 (birational map, as libsodium's crypto_sign_ed25519_pk_to_curve25519).
 *
 * Layout: version (1 byte, 0x01) || ephemeral X25519 public key (32) || ciphertext || tag (16)
 *
 *   shared = X25519(ephemeral secret, recipient X25519 public)
 *   okm    = HKDF-SHA-256(ikm = shared, salt = ephemeralPub || recipientXPub,
 *                         info = 'weft/seal/v1', 56 bytes)
 *   key = okm[0..32], nonce = okm[32..56]; XChaCha20-Poly1305 with the caller's aad.
 *
 * The key is fresh for every box (new ephemeral key), so the derived nonce is never reused.
 * The sender is anonymous: the box proves nothing about who made it (sign it if that matters).
 *
 * X25519 runs on the backend x25519.ts picks (OpenSSL when it passes its self-test, else
 * noble); both give the same bytes, so a box does not depend on who sealed or opens it.
 * What repeats is cached: the Montgomery form of a recipient's public key (a point
 * decompression and an inversion in noble), and the X25519 key pair of the secret key
 * that opens boxes.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { decryptDetachedNonce, encryptDetachedNonce, AEAD_TAG_BYTES } from './aead.js';
import { bytesEqual, concatBytes, requireLength, toHex } from './bytes-util.js';
import { DecryptError } from './errors.js';
import { deriveKey } from './hash.js';
import { randomBytes, type RandomSource } from './random.js';
import { activeX25519, type X25519Backend } from './x25519.js';

const SEAL_VERSION = 0x01;
const SEAL_INFO = 'weft/seal/v1';
const HEADER_BYTES = 1 + 32;

function boxKeys(shared: Uint8Array, ephemeralPub: Uint8Array, recipientXPub: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = deriveKey(shared, SEAL_INFO, concatBytes(ephemeralPub, recipientXPub), 56);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 56) };
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

/** Recipients' X25519 public keys by their Ed25519 key (hex): members' keys recur. Bounded, least recently used dropped. */
const MONTGOMERY_CACHE_MAX = 1024;
const montgomeryOf = new Map<string, Uint8Array>();

function recipientMontgomery(recipientPublicKey: Uint8Array): Uint8Array {
  const id = toHex(recipientPublicKey);
  let xPub = montgomeryOf.get(id);
  if (xPub === undefined) {
    try {
      xPub = ed25519.utils.toMontgomery(recipientPublicKey);
    } catch {
      // Not a point, or the identity (y = 1, no Montgomery image): a caller bug, not input.
      throw new RangeError('sealTo: recipient key is not a valid Ed25519 public key');
    }
    if (montgomeryOf.size >= MONTGOMERY_CACHE_MAX) montgomeryOf.delete(montgomeryOf.keys().next().value!);
  } else {
    montgomeryOf.delete(id); // refresh its place
  }
  montgomeryOf.set(id, xPub);
  return xPub;
}

/**
 * The X25519 key pair of an Ed25519 seed that opens boxes, by array identity (a secret is
 * never a cache key); the stored copy of the seed detects a caller that overwrote the array
 * in place. An entry lives as long as the caller's array. One per backend (tests use both).
 */
interface OpeningKey {
  readonly seed: Uint8Array;
  readonly xSecret: Uint8Array;
  readonly xPub: Uint8Array;
}
const openingKeys = new WeakMap<X25519Backend, WeakMap<Uint8Array, OpeningKey>>();

function openingKey(x: X25519Backend, seed: Uint8Array): OpeningKey {
  let byBackend = openingKeys.get(x);
  if (byBackend === undefined) openingKeys.set(x, (byBackend = new WeakMap()));
  const hit = byBackend.get(seed);
  if (hit !== undefined && bytesEqual(hit.seed, seed)) return hit;
  const clamped = ed25519.utils.toMontgomerySecret(seed); // a view into the SHA-512 output
  const xSecret = clamped.slice();
  clamped.fill(0);
  const key = { seed: seed.slice(), xSecret, xPub: x.publicKey(xSecret) };
  byBackend.set(seed, key);
  return key;
}

/** A sealed box of secret to an Ed25519 public key. Throws RangeError for a key that is not a valid, large-order point. */
export function sealTo(recipientPublicKey: Uint8Array, secret: Uint8Array, aad?: Uint8Array, random?: RandomSource): Uint8Array {
  return sealToWith(activeX25519(), recipientPublicKey, secret, aad, random);
}

/** Opens a box sealed to the Ed25519 key whose seed is recipientSecretKey. Throws DecryptError for anything wrong. */
export function openSealed(recipientSecretKey: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  return openSealedWith(activeX25519(), recipientSecretKey, sealed, aad);
}

/** sealTo on a given X25519 backend (for tests: a box does not depend on the backend). */
export function sealToWith(x: X25519Backend, recipientPublicKey: Uint8Array, secret: Uint8Array, aad?: Uint8Array, random?: RandomSource): Uint8Array {
  requireLength('recipient public key', recipientPublicKey, 32);
  const recipientXPub = recipientMontgomery(recipientPublicKey);
  const ephemeralSecret = randomBytes(32, random);
  const ephemeralPub = x.publicKey(ephemeralSecret);
  let shared: Uint8Array;
  try {
    shared = x.sharedSecret(ephemeralSecret, recipientXPub);
  } catch {
    shared = new Uint8Array(32); // small order: both backends throw where RFC 7748 gives zeros
  } finally {
    ephemeralSecret.fill(0);
  }
  if (isAllZero(shared)) throw new RangeError('sealTo: recipient key is of small order');
  const { key, nonce } = boxKeys(shared, ephemeralPub, recipientXPub);
  return concatBytes(Uint8Array.of(SEAL_VERSION), ephemeralPub, encryptDetachedNonce(key, nonce, secret, aad));
}

/** openSealed on a given X25519 backend. */
export function openSealedWith(x: X25519Backend, recipientSecretKey: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (!(recipientSecretKey instanceof Uint8Array) || recipientSecretKey.length !== 32) throw new DecryptError('secret key must be a 32-byte seed');
  if (!(sealed instanceof Uint8Array) || sealed.length < HEADER_BYTES + AEAD_TAG_BYTES) throw new DecryptError('sealed box is too short');
  if (sealed[0] !== SEAL_VERSION) throw new DecryptError(`unknown sealed box version ${sealed[0]}`);
  const ephemeralPub = sealed.subarray(1, HEADER_BYTES);
  let shared: Uint8Array;
  let recipientXPub: Uint8Array;
  try {
    const recipient = openingKey(x, recipientSecretKey);
    recipientXPub = recipient.xPub;
    shared = x.sharedSecret(recipient.xSecret, ephemeralPub);
  } catch {
    // Both backends throw for an ephemeral key of small order (noble before its ladder, OpenSSL on the zero result).
    throw new DecryptError('sealed box has an invalid ephemeral key');
  }
  if (isAllZero(shared)) throw new DecryptError('sealed box has a small-order ephemeral key');
  const { key, nonce } = boxKeys(shared, ephemeralPub, recipientXPub);
  return decryptDetachedNonce(key, nonce, sealed.subarray(HEADER_BYTES), aad);
}
