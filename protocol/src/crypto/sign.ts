/**
 * Ed25519 signatures (RFC 8032), with two interchangeable backends:
 *
 * - `native`: Node's OpenSSL Ed25519 through node:crypto KeyObjects (several times
 *   faster; KeyObjects are cached per key), used whenever it is present and passes a
 *   self-test against the RFC 8032 vector;
 * - `noble`: @noble/curves, the fallback (e.g. a runtime without node:crypto).
 *
 * Signing is deterministic, so both backends produce identical signatures.
 *
 * Verification must give the same verdict on every replica, or one hostile signature
 * could be merged by some peers and refused by others. OpenSSL verifies cofactorless
 * ([S]B - [k]A must encode to exactly R), noble's own verify is cofactored, and they
 * disagree on crafted signatures with small-order components. So Weft's rule is:
 *   1. S < L (canonical scalar),
 *   2. A decodes canonically (y < p) and is not of small order,
 *   3. cofactorless equation: encode([S]B - [k]A) == R bytes, k = SHA-512(R||A||M) mod L.
 * The native backend does (1) and (2) itself (key checks once per cached key) and
 * OpenSSL does (3); the noble backend does all three explicitly (not ed25519.verify).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { mod } from '@noble/curves/abstract/modular.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import * as nodeCrypto from 'node:crypto';
import { bytesEqual, fromHex, requireLength, toHex } from './bytes-util.js';
import { randomBytes, type RandomSource } from './random.js';

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

export interface SigningKeyPair {
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** 32-byte Ed25519 seed (RFC 8032 private key). Keep it in SecretStorage only. */
  secretKey: Uint8Array;
}

/** One Ed25519 implementation. Inputs are already length-checked by the public API. */
export interface Ed25519Backend {
  readonly name: 'native' | 'noble';
  publicKeyFromSeed(seed: Uint8Array): Uint8Array;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

const Point = ed25519.Point;
const L = Point.CURVE().n;

/** Rule 1: S (little-endian, second half of the signature) is below the group order L. */
function scalarIsCanonical(signature: Uint8Array): boolean {
  return bytesToNumberLE(signature.subarray(32, 64)) < L;
}

/** Rule 2: a canonical encoding of a point that is not of small order. */
function publicKeyIsAcceptable(publicKey: Uint8Array): boolean {
  try {
    return !Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false;
  }
}

export const nobleBackend: Ed25519Backend = {
  name: 'noble',
  publicKeyFromSeed: (seed) => ed25519.getPublicKey(seed),
  sign: (seed, message) => ed25519.sign(message, seed),
  verify(publicKey, message, signature) {
    if (!scalarIsCanonical(signature)) return false;
    let A;
    try {
      A = Point.fromBytes(publicKey, false);
    } catch {
      return false;
    }
    if (A.isSmallOrder()) return false;
    const r = signature.subarray(0, 32);
    const s = bytesToNumberLE(signature.subarray(32, 64));
    const h = sha512.create().update(r).update(publicKey).update(message).digest();
    const k = mod(bytesToNumberLE(h), L);
    const expectedR = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
    return bytesEqual(expectedR.toBytes(), r);
  },
};

/** A tiny LRU for public KeyObjects: peers' keys repeat, but the set must stay bounded. */
const PUBLIC_CACHE_MAX = 1024;

function makeNativeBackend(): Ed25519Backend {
  const publicCache = new Map<string, nodeCrypto.KeyObject | null>(); // null = key refused by rule 2
  // Seeds are cached by array identity (no copy of secret material turned into strings);
  // the stored copy detects a caller that overwrote the array in place.
  const privateCache = new WeakMap<Uint8Array, { seed: Uint8Array; key: nodeCrypto.KeyObject }>();

  function privateKey(seed: Uint8Array): nodeCrypto.KeyObject {
    const hit = privateCache.get(seed);
    if (hit && bytesEqual(hit.seed, seed)) return hit.key;
    // JWK, not PKCS#8 DER: OpenSSL 3 reads a DER key about 15 times slower, and every new
    // identity or epoch topic key is read once (see x25519.ts for the same trade-off: the
    // seed passes through a short-lived base64url string). `x` is required by the JWK
    // reader and ignored for a private key; the self-test catches a Node that does not.
    const key = nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: '' }, format: 'jwk' });
    privateCache.set(seed, { seed: seed.slice(), key });
    return key;
  }

  function publicKeyObject(publicKey: Uint8Array): nodeCrypto.KeyObject | null {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
    const hit = publicCache.get(id);
    if (hit !== undefined) {
      publicCache.delete(id); // refresh LRU position
      publicCache.set(id, hit);
      return hit;
    }
    let key: nodeCrypto.KeyObject | null = null;
    if (publicKeyIsAcceptable(publicKey)) {
      try {
        key = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
      } catch {
        key = null;
      }
    }
    if (publicCache.size >= PUBLIC_CACHE_MAX) publicCache.delete(publicCache.keys().next().value!);
    publicCache.set(id, key);
    return key;
  }

  return {
    name: 'native',
    publicKeyFromSeed(seed) {
      const jwk = nodeCrypto.createPublicKey(privateKey(seed)).export({ format: 'jwk' });
      return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
    },
    sign(seed, message) {
      return new Uint8Array(nodeCrypto.sign(null, message, privateKey(seed)));
    },
    verify(publicKey, message, signature) {
      if (!scalarIsCanonical(signature)) return false;
      const key = publicKeyObject(publicKey);
      if (key === null) return false;
      try {
        return nodeCrypto.verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}

// RFC 8032 section 7.1, TEST 1 (empty message): the self-test a backend must pass.
const RFC_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC_SIG =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

function passesSelfTest(b: Ed25519Backend): boolean {
  try {
    const seed = fromHex(RFC_SEED);
    const empty = new Uint8Array(0);
    const sig = b.sign(seed, empty);
    return toHex(b.publicKeyFromSeed(seed)) === RFC_PUBLIC && toHex(sig) === RFC_SIG && b.verify(fromHex(RFC_PUBLIC), empty, sig);
  } catch {
    return false;
  }
}

let native: Ed25519Backend | null | undefined;

/** The native backend if this runtime has a working one, else null. */
export function nativeBackend(): Ed25519Backend | null {
  if (native === undefined) {
    let candidate: Ed25519Backend | null = null;
    try {
      if (typeof nodeCrypto.sign === 'function') candidate = makeNativeBackend();
    } catch {
      candidate = null;
    }
    native = candidate && passesSelfTest(candidate) ? candidate : null;
  }
  return native;
}

let active: Ed25519Backend | undefined;

/** The backend the API uses: native when available, noble otherwise. */
export function activeBackend(): Ed25519Backend {
  return (active ??= nativeBackend() ?? nobleBackend);
}

export function generateSigningKeyPair(random?: RandomSource): SigningKeyPair {
  return signingKeyPairFromSeed(randomBytes(SECRET_KEY_BYTES, random));
}

export function signingKeyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  requireLength('Ed25519 seed', seed, SECRET_KEY_BYTES);
  const secretKey = seed.slice();
  return { publicKey: activeBackend().publicKeyFromSeed(secretKey), secretKey };
}

/** Ed25519 signature (64 bytes). Throws RangeError if secretKey is not a 32-byte seed. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  requireLength('Ed25519 secret key', secretKey, SECRET_KEY_BYTES);
  return activeBackend().sign(secretKey, message);
}

/**
 * Results of recent verifications, by (key, signature, SHA-256 of the message): one commit
 * is checked more than once (its topic signature by the multicast and the broker, again
 * when a duplicate arrives by another path; in the simulator, by every node of a team),
 * and a hash costs a fraction of a verification. Bounded; oldest dropped first.
 */
const VERIFIED_LIMIT = 8192;
const verified = new Map<string, boolean>();

/** True only for a valid signature under Weft's rule (see top). Never throws. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
  if (!(message instanceof Uint8Array)) return false;
  const key = toHex(signature) + toHex(publicKey) + nodeCrypto.createHash('sha256').update(message).digest('hex');
  const known = verified.get(key);
  if (known !== undefined) return known;
  let valid: boolean;
  try {
    valid = activeBackend().verify(publicKey, message, signature);
  } catch {
    valid = false;
  }
  verified.set(key, valid);
  if (verified.size > VERIFIED_LIMIT) verified.delete(verified.keys().next().value as string);
  return valid;
}
