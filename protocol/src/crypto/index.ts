/**
 * Weft's cryptography, in one place: nothing else in the project imports @noble or
 * node:crypto. Ed25519 (sign.ts), BLAKE3 and HKDF (hash.ts), XChaCha20-Poly1305
 * (aead.ts), sealed boxes (seal.ts), the textual key form (key-text.ts).
 */
export { type RandomSource, defaultRandom, randomBytes } from './random.js';
export { type SigningKeyPair, generateSigningKeyPair, signingKeyPairFromSeed, sign, verify } from './sign.js';
export { hash, keyedHash, deriveKey } from './hash.js';
export { SHA256_BYTES, sha256, sha256Hex, hmacSha256 } from './sha256.js';
export { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, encrypt, encryptWithNonce, decrypt } from './aead.js';
export { sealTo, openSealed } from './seal.js';
export { publicKeyToText, publicKeyFromText, fingerprint } from './key-text.js';
export { bytesEqual, toHex, fromHex } from './bytes-util.js';
export { DecryptError, KeyTextError } from './errors.js';
