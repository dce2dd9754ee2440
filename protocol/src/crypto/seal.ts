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
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { decryptDetachedNonce, encryptDetachedNonce, AEAD_TAG_BYTES } from './aead.js';
import { concatBytes, requireLength } from './bytes-util.js';
import { DecryptError } from './errors.js';
import { deriveKey } from './hash.js';
import { randomBytes, type RandomSource } from './random.js';

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

export function sealTo(recipientPublicKey: Uint8Array, secret: Uint8Array, aad?: Uint8Array, random?: RandomSource): Uint8Array {
  requireLength('recipient public key', recipientPublicKey, 32);
  // Throws (RangeError-like) for a key that is not a valid Ed25519 point: a caller bug, not input.
  const recipientXPub = ed25519.utils.toMontgomery(recipientPublicKey);
  const ephemeralSecret = randomBytes(32, random);
  const ephemeralPub = x25519.getPublicKey(ephemeralSecret);
  const shared = x25519.getSharedSecret(ephemeralSecret, recipientXPub);
  ephemeralSecret.fill(0);
  if (isAllZero(shared)) throw new RangeError('sealTo: recipient key is of small order');
  const { key, nonce } = boxKeys(shared, ephemeralPub, recipientXPub);
  return concatBytes(Uint8Array.of(SEAL_VERSION), ephemeralPub, encryptDetachedNonce(key, nonce, secret, aad));
}

export function openSealed(recipientSecretKey: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (!(recipientSecretKey instanceof Uint8Array) || recipientSecretKey.length !== 32) throw new DecryptError('secret key must be a 32-byte seed');
  if (!(sealed instanceof Uint8Array) || sealed.length < HEADER_BYTES + AEAD_TAG_BYTES) throw new DecryptError('sealed box is too short');
  if (sealed[0] !== SEAL_VERSION) throw new DecryptError(`unknown sealed box version ${sealed[0]}`);
  const ephemeralPub = sealed.subarray(1, HEADER_BYTES);
  let shared: Uint8Array;
  let recipientXPub: Uint8Array;
  try {
    const recipientXSecret = ed25519.utils.toMontgomerySecret(recipientSecretKey);
    recipientXPub = x25519.getPublicKey(recipientXSecret);
    shared = x25519.getSharedSecret(recipientXSecret, ephemeralPub);
    recipientXSecret.fill(0);
  } catch {
    throw new DecryptError('sealed box has an invalid ephemeral key');
  }
  if (isAllZero(shared)) throw new DecryptError('sealed box has a small-order ephemeral key');
  const { key, nonce } = boxKeys(shared, ephemeralPub, recipientXPub);
  return decryptDetachedNonce(key, nonce, sealed.subarray(HEADER_BYTES), aad);
}
