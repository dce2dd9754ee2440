/**
 * Drives a ChunkFetcher (protocol/src/chunks/fetcher.ts) against a ChunkStore and a set
 * of sources: looks chunks up locally, requests the missing ones (several at a time),
 * stores what verifies, reports progress. Interrupt it at any point: what was stored
 * stays, and running it again requests only what is still missing.
 */
import { ChunkFetcher, type ChunkId, type FetchProgress, type ObjectRef, type SourceId } from '../src/chunks/index.js';
import type { ChunkStore } from '../src/ports/chunk-store.js';

/** A peer or broker that may hold chunks. undefined or a rejection: it cannot deliver this one. */
export interface ChunkSource {
  fetch(id: ChunkId): Promise<Uint8Array | undefined>;
}

export interface FetchObjectInit {
  readonly maxInFlight?: number;
  readonly maxPerSource?: number;
  readonly onProgress?: (p: FetchProgress) => void;
  /** Stops starting new work; resolves once in-flight work has ended. */
  readonly signal?: AbortSignal;
}

export interface FetchObjectResult extends FetchProgress {
  readonly complete: boolean;
  readonly unavailable: ChunkId[];
  readonly corrupt: ChunkId[];
  /** Chunks a source delivered that did not match their id. */
  readonly rejected: number;
}

export async function fetchObject(
  root: ObjectRef,
  store: ChunkStore,
  sources: ReadonlyMap<SourceId, ChunkSource>,
  init: FetchObjectInit = {},
): Promise<FetchObjectResult> {
  const fetcher = new ChunkFetcher(root, { sources: [...sources.keys()], maxInFlight: init.maxInFlight, maxPerSource: init.maxPerSource });
  const running = new Set<Promise<void>>();
  let rejected = 0;
  const start = (work: Promise<void>) => {
    const p = work.finally(() => running.delete(p));
    running.add(p);
  };
  const lookup = async (ref: ObjectRef) => {
    if (ref.height > 0) fetcher.local(ref, (await store.get(ref.id)) ?? 'missing');
    else fetcher.local(ref, (await store.has(ref.id)) ? 'present' : 'missing');
  };
  const request = async (source: SourceId, id: ChunkId) => {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await sources.get(source)!.fetch(id);
    } catch {
      bytes = undefined;
    }
    if (bytes === undefined) return fetcher.failed(source, id);
    if (!fetcher.received(source, id, bytes).accepted) {
      rejected++;
      return;
    }
    await store.putSealed(id, bytes); // fetcher.received() just checked it against the id
    init.onProgress?.(fetcher.progress());
  };
  for (;;) {
    if (!init.signal?.aborted) {
      for (const ref of fetcher.lookups()) start(lookup(ref));
      for (const req of fetcher.requests()) start(request(req.source, req.id));
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  return { ...fetcher.progress(), complete: fetcher.done, unavailable: fetcher.unavailable, corrupt: [...fetcher.corrupt], rejected };
}
