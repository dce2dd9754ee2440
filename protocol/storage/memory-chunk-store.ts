/** Chunks in memory: for tests, the simulator, and a peer that keeps no binary files on disk. */
import type { ChunkId } from '../src/chunks/index.js';
import { verifyChunk, type ChunkStore, type ChunkStoreStats, type PutResult, type StoredChunkInfo } from '../src/ports/chunk-store.js';

export interface MemoryChunkStoreInit {
  /** Milliseconds since the epoch; injected so tests control expiry. */
  readonly now?: () => number;
}

export class MemoryChunkStore implements ChunkStore {
  private readonly chunks = new Map<ChunkId, { bytes: Uint8Array; storedAt: number }>();
  private readonly now: () => number;

  constructor(init: MemoryChunkStoreInit = {}) {
    this.now = init.now ?? Date.now;
  }

  async has(id: ChunkId): Promise<boolean> {
    return this.chunks.has(id);
  }

  async get(id: ChunkId): Promise<Uint8Array | undefined> {
    return this.chunks.get(id)?.bytes;
  }

  async put(id: ChunkId, bytes: Uint8Array): Promise<PutResult> {
    verifyChunk(id, bytes);
    return this.putSealed(id, bytes);
  }

  async putSealed(id: ChunkId, bytes: Uint8Array): Promise<PutResult> {
    const had = this.chunks.get(id);
    if (had) {
      had.storedAt = this.now();
      return { bytesStored: 0 };
    }
    this.chunks.set(id, { bytes: bytes.slice(), storedAt: this.now() });
    return { bytesStored: bytes.length };
  }

  async delete(id: ChunkId, ifStoredBefore = Infinity): Promise<boolean> {
    const c = this.chunks.get(id);
    if (c === undefined || c.storedAt > ifStoredBefore) return false;
    return this.chunks.delete(id);
  }

  async *list(): AsyncIterable<StoredChunkInfo> {
    for (const [id, c] of [...this.chunks]) yield { id, bytes: c.bytes.length, storedAt: c.storedAt };
  }

  async stats(): Promise<ChunkStoreStats> {
    let bytes = 0;
    for (const c of this.chunks.values()) bytes += c.bytes.length;
    return { chunks: this.chunks.size, bytes };
  }
}
