/**
 * Garbage collection of a peer's chunk store: the chunks no object of the share still
 * points to are deleted (chunk-gc.ts does the mark and sweep).
 *
 * Live roots: every kept version (main version and concurrent ones) of every file the
 * share still lists; a file's earlier versions, replaced by a later commit, and the
 * versions of deleted files are garbage. Chunks younger than the grace period are kept
 * whatever points to them: an object stored and not committed yet (storeObject, then
 * setBinary and commit), a fetch that has not finished its tree, or an old chunk that a
 * new upload re-used (a put refreshes a chunk's time).
 *
 * A replica without the share's keys reads no file, so it would see every chunk as
 * garbage: it collects nothing (ShareKeysMissingError).
 */
import { decodeObjectRef, type ObjectRef } from '../src/chunks/index.js';
import type { ShareReplica } from '../src/share/replica.js';
import type { ChunkStore } from '../src/ports/chunk-store.js';
import { collectGarbage, type GarbageCollectionReport } from './chunk-gc.js';
import { ShareKeysMissingError } from './share-keys-missing.js';

/** One hour: an upload has this long between storeObject and its commit. */
export const DEFAULT_PEER_GC_GRACE_MS = 60 * 60 * 1000;

export interface PeerGarbageCollectionOptions {
  /** Unreferenced chunks stored (or re-put) less than this long ago are kept. Default 1 hour. */
  readonly graceMs?: number;
  /** Milliseconds since the epoch (default: the runtime's clock). */
  readonly now?: number;
}

export interface PeerGarbageCollectionReport extends GarbageCollectionReport {
  /** Objects (file versions) kept. */
  readonly liveObjects: number;
}

/** Every object the share still points to: all kept versions of every listed file. */
export function liveObjectRefs(replica: ShareReplica): ObjectRef[] {
  const refs = new Map<string, ObjectRef>();
  for (const entry of replica.files()) {
    // Every kind: a file whose kind changed concurrently may still carry versions.
    for (const v of replica.binaryVersions(entry.file)) {
      try {
        const ref = decodeObjectRef(v.ref);
        refs.set(ref.id, ref);
      } catch {
        // Not an object reference this version can read: nothing of it to keep.
      }
    }
  }
  return [...refs.values()];
}

/** Deletes the chunks of `store` that no live object reaches and that are older than the grace period. */
export async function collectShareGarbage(replica: ShareReplica, store: ChunkStore, opts: PeerGarbageCollectionOptions & { readonly now: number }): Promise<PeerGarbageCollectionReport> {
  if (!replica.convergenceSecret()) throw new ShareKeysMissingError();
  const liveRoots = liveObjectRefs(replica);
  const report = await collectGarbage(store, { liveRoots, now: opts.now, graceMs: opts.graceMs ?? DEFAULT_PEER_GC_GRACE_MS });
  return { ...report, liveObjects: liveRoots.length };
}

/** One line for logs: what a collection reclaimed. */
export function describeGarbageCollection(r: GarbageCollectionReport): string {
  const freed = r.compaction ? `, ${r.compaction.bytesFreed} bytes of disk freed by compaction` : '';
  const missing = r.missingLive > 0 ? `, ${r.missingLive} live tree node(s) not here` : '';
  return `deleted ${r.deleted} chunk(s) (${r.bytesDeleted} bytes)${freed}; kept ${r.live} live and ${r.keptYoung} young unreferenced chunk(s)${missing}`;
}
