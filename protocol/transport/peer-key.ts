/**
 * The libp2p identity of a Weft node is its Ed25519 key: the libp2p private key
 * is built from the node's 32-byte seed, so the peer id (an identity multihash
 * that inlines the Ed25519 public key) and our 32-byte public key name the same
 * thing, and Noise's authentication of the peer id authenticates the Weft key.
 */
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { signingKeyPairFromSeed } from '../src/crypto/index.js';
import { InvalidPeerKeyError } from '../src/ports/transport-errors.js';

export const ED25519_KEY_BYTES = 32;

export interface NodeIdentity {
  readonly publicKey: Uint8Array;
  readonly privateKey: PrivateKey;
}

/** Derives the node's key pair from its 32-byte Ed25519 seed. */
export function identityFromSeed(seed: Uint8Array): NodeIdentity {
  if (!(seed instanceof Uint8Array) || seed.byteLength !== ED25519_KEY_BYTES) {
    throw new InvalidPeerKeyError(`identitySeed must be ${ED25519_KEY_BYTES} bytes`);
  }
  const { publicKey } = signingKeyPairFromSeed(seed);
  // libp2p's raw Ed25519 private key is seed || public key (64 bytes)
  const raw = new Uint8Array(64);
  raw.set(seed, 0);
  raw.set(publicKey, 32);
  return { publicKey, privateKey: privateKeyFromRaw(raw) };
}

/** The libp2p peer id of a 32-byte Ed25519 public key. */
export function peerIdFromWeftKey(publicKey: Uint8Array): PeerId {
  if (!(publicKey instanceof Uint8Array) || publicKey.byteLength !== ED25519_KEY_BYTES) {
    throw new InvalidPeerKeyError(`a peer key is a ${ED25519_KEY_BYTES}-byte Ed25519 public key`);
  }
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey));
}

/** The 32-byte Ed25519 public key behind a peer id, or undefined for other key types. */
export function weftKeyFromPeerId(peerId: PeerId): Uint8Array | undefined {
  if (peerId.type !== 'Ed25519') return undefined;
  const raw = peerId.publicKey.raw;
  return raw.byteLength === ED25519_KEY_BYTES ? raw : undefined;
}

export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
