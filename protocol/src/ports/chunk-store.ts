/**
 * Content-addressed chunk storage, for the local node and for brokers. A store holds
 * ciphertext only, keyed by its id (SHA-256 of the bytes); it never needs a key.
 *
 * - put() verifies the bytes against the id (TamperedChunkError) and stores each id
 *   once: putting an id that is already stored writes nothing and reports 0 new bytes
 *   (deduplication inside a share; ids of different shares never coincide, since their
 *   keys differ). It refreshes the chunk's time, so a chunk being re-used by a new
 *   upload is not expired under it.
 * - get() returns bytes that match the id, or undefined (a chunk found damaged on disk
 *   is deleted and reported missing, so it is fetched again).
 * - putSealed() stores a chunk the caller sealed itself (ObjectWriter computed the id
 *   from these very bytes) without hashing it again; put() stays the path for bytes
 *   from anyone else (the network).
 * - list() gives each chunk's id, size and storedAt (the last put, ms since the epoch)
 *   for garbage collection (protocol/runtime/chunk-gc.ts).
 * - delete(id, ifStoredBefore) deletes only a chunk whose storedAt is at or before that
 *   time, checked and deleted in one step (the memory and pack stores; the file store
 *   checks the file's time just before unlinking it): a chunk re-put while a garbage
 *   collection sweeps is not deleted under the new upload.
 * - compact(), where a store has it, reclaims the space of deleted chunks (chunk-gc.ts
 *   calls it after sweeping).
 *
 * Implementations: MemoryChunkStore (protocol/storage/memory-chunk-store.ts), the file
 * and pack stores beside it. Every one runs test/protocol/chunks/chunk-store-acceptance.ts.
 */
import { matchesId, TamperedChunkError, type ChunkId } from '../chunks/index.js';

export interface PutResult {
  /** Bytes newly stored: 0 when the chunk was already here. */
  readonly bytesStored: number;
}

export interface StoredChunkInfo {
  readonly id: ChunkId;
  readonly bytes: number;
  readonly storedAt: number;
}

export interface ChunkStoreStats {
  readonly chunks: number;
  readonly bytes: number;
}

export interface CompactionReport {
  readonly packsRewritten: number;
  readonly bytesFreed: number;
}

export interface ChunkStore {
  has(id: ChunkId): Promise<boolean>;
  get(id: ChunkId): Promise<Uint8Array | undefined>;
  /** Verifies `bytes` against `id` (TamperedChunkError), then stores them. */
  put(id: ChunkId, bytes: Uint8Array): Promise<PutResult>;
  /** Trusted path: the caller computed `id` from these bytes (ObjectWriter); not re-hashed. */
  putSealed(id: ChunkId, bytes: Uint8Array): Promise<PutResult>;
  /**
   * True when the chunk was there and is now deleted. With `ifStoredBefore`, a chunk
   * put (or re-put) after that time is kept (false).
   */
  delete(id: ChunkId, ifStoredBefore?: number): Promise<boolean>;
  list(): AsyncIterable<StoredChunkInfo>;
  stats(): Promise<ChunkStoreStats>;
  /** Reclaims the space of deleted chunks (stores that leave dead space behind). */
  compact?(): Promise<CompactionReport>;
}

/** Throws TamperedChunkError unless `bytes` hash to `id`. */
export function verifyChunk(id: ChunkId, bytes: Uint8Array): void {
  if (!matchesId(id, bytes)) throw new TamperedChunkError(id);
}

