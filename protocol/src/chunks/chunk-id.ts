/**
 * Chunk ids and references.
 *
 * A chunk id is SHA-256 of the chunk's ciphertext, as 64 lowercase hex characters:
 * anyone holding the bytes (a broker, a relaying peer) can check them against the id
 * without being able to read them. A reference adds the key that opens the chunk and
 * the number of plaintext bytes it stands for (for a tree node: of the whole subtree).
 */
import { SHA256_BYTES, fromHex, sha256Hex, toHex } from '../crypto/index.js';

export type ChunkId = string & { readonly __brand: 'ChunkId' };

export const CHUNK_ID_BYTES = SHA256_BYTES;
export const CHUNK_KEY_BYTES = 32;

/** One chunk: its id, the key that opens it, the plaintext bytes below it. */
export interface ChunkRef {
  readonly id: ChunkId;
  readonly key: Uint8Array;
  readonly size: number;
}

/**
 * A whole object (a binary file's contents): the root chunk's reference and the tree's
 * height (0: the root is the only data chunk; h > 0: the root is a tree node whose
 * children have height h - 1). The id alone lets a broker store and serve the object;
 * only the key reads it.
 */
export interface ObjectRef extends ChunkRef {
  readonly height: number;
}

const ID_PATTERN = /^[0-9a-f]{64}$/;

export function isChunkId(s: string): s is ChunkId {
  return ID_PATTERN.test(s);
}

export function chunkIdFromBytes(b: Uint8Array): ChunkId {
  if (b.length !== CHUNK_ID_BYTES) throw new RangeError(`chunk id must be ${CHUNK_ID_BYTES} bytes, got ${b.length}`);
  return toHex(b) as ChunkId;
}

export function chunkIdToBytes(id: ChunkId): Uint8Array {
  return fromHex(id);
}

/** The id these bytes would have. */
export function chunkIdOf(ciphertext: Uint8Array): ChunkId {
  return sha256Hex(ciphertext) as ChunkId;
}

/** True when `ciphertext` hashes to `id` (what every receiver and store checks). */
export function matchesId(id: ChunkId, ciphertext: Uint8Array): boolean {
  const actual = sha256Hex(ciphertext);
  return actual === id || actual === id.toLowerCase(); // ids are public: no need for a constant-time compare
}
