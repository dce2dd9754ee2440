/**
 * X25519 (RFC 7748) for sealed boxes (seal.ts), with two interchangeable backends, as
 * sign.ts has for Ed25519:
 *
 * - `native`: Node's OpenSSL X25519 through node:crypto KeyObjects (raw keys imported as
 *   JWKs, see below), used whenever it is present and passes a self-test on the RFC 7748
 *   section 6.1 vectors; many times faster than noble's BigInt ladder;
 * - `noble`: @noble/curves x25519, the fallback (e.g. a runtime without node:crypto).
 *
 * Both compute RFC 7748's function bit for bit: the scalar is clamped, bit 255 of u is
 * ignored and a non-canonical u (p .. 2^255 - 1) is reduced mod p. For a public key of
 * small order (u = 0, 1, p - 1 or one of the two order-8 points, in any encoding: p and
 * p + 1, bit 255 set) both throw and never return the all-zero secret: noble refuses
 * those u before the ladder, OpenSSL runs the ladder and fails the derivation on the
 * all-zero result (ERR_OSSL_FAILED_DURING_DERIVATION). Callers map a throw to "invalid key".
 *
 * No cache: a sealed box pairs a fresh ephemeral secret with a key that is either the
 * recipient's (sealing) or the box's own (opening); seal.ts caches what repeats.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import * as nodeCrypto from 'node:crypto';
import { fromHex, toHex } from './bytes-util.js';

/** One X25519 implementation. Inputs are 32-byte arrays, already length-checked by the caller. */
export interface X25519Backend {
  readonly name: 'native' | 'noble';
  /** X25519(secret, 9). */
  publicKey(secret: Uint8Array): Uint8Array;
  /** X25519(secret, publicKey). Throws for a public key of small order. */
  sharedSecret(secret: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

export const nobleX25519: X25519Backend = {
  name: 'noble',
  publicKey: (secret) => x25519.getPublicKey(secret),
  sharedSecret: (secret, publicKey) => x25519.getSharedSecret(secret, publicKey),
};

/**
 * Raw keys enter OpenSSL as JWKs (RFC 8037), not as PKCS#8 / SPKI DER as sign.ts does: Node 20
 * hands DER to OpenSSL 3's generic decoders, about 300 us for a private key and 70 us for a
 * public one on the development machine, 12x and 8x what a JWK costs (Node maps it straight
 * to EVP_PKEY_new_raw_*_key). sign.ts amortises DER over its KeyObject caches; here every
 * box brings a key never seen before. The price: the secret goes through a short-lived
 * base64url string (the JWK's d), which cannot be wiped. A private JWK needs a string x,
 * which Node ignores (the public key is computed from d); if that ever changed, the
 * self-test would fail and noble would take over.
 */
const base64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');

const nativePrivateKey = (secret: Uint8Array): nodeCrypto.KeyObject =>
  nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: base64url(secret), x: '' }, format: 'jwk' });

const nativePublicKey = (publicKey: Uint8Array): nodeCrypto.KeyObject =>
  nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: base64url(publicKey) }, format: 'jwk' });

const nativeX25519Backend: X25519Backend = {
  name: 'native',
  publicKey(secret) {
    const { x } = nodeCrypto.createPublicKey(nativePrivateKey(secret)).export({ format: 'jwk' });
    return new Uint8Array(Buffer.from(x ?? '', 'base64url'));
  },
  sharedSecret(secret, publicKey) {
    const out = nodeCrypto.diffieHellman({ privateKey: nativePrivateKey(secret), publicKey: nativePublicKey(publicKey) });
    const shared = new Uint8Array(out); // a copy: the Buffer is wiped
    out.fill(0);
    return shared;
  },
};

/** RFC 7748 section 6.1: Alice's and Bob's key pairs and their shared secret. */
export const RFC7748_6_1 = {
  alice: { secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', public: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a' },
  bob: { secret: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', public: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f' },
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
} as const;

/** True if the backend reproduces RFC 7748 section 6.1 (both public keys, the secret from both sides). */
export function passesRfc7748(b: X25519Backend): boolean {
  const { alice, bob, shared } = RFC7748_6_1;
  try {
    return (
      toHex(b.publicKey(fromHex(alice.secret))) === alice.public &&
      toHex(b.publicKey(fromHex(bob.secret))) === bob.public &&
      toHex(b.sharedSecret(fromHex(alice.secret), fromHex(bob.public))) === shared &&
      toHex(b.sharedSecret(fromHex(bob.secret), fromHex(alice.public))) === shared
    );
  } catch {
    return false;
  }
}

let native: X25519Backend | null | undefined;

/** The native backend if this runtime has a working one, else null (decided once). */
export function nativeX25519(): X25519Backend | null {
  if (native === undefined) native = typeof nodeCrypto.diffieHellman === 'function' && passesRfc7748(nativeX25519Backend) ? nativeX25519Backend : null;
  return native;
}

/** The backend seal.ts uses: native when available, noble otherwise. */
export function activeX25519(): X25519Backend {
  return nativeX25519() ?? nobleX25519;
}
