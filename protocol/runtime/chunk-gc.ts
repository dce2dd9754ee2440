/**
 * Garbage collection of a chunk store: mark every chunk reachable from the live roots
 * (the objects the manifests still point to), sweep the rest.
 *
 * Expiry: with `graceMs`, an unreferenced chunk stored (or re-put) less than graceMs
 * before `now` is kept: it may belong to an upload whose root is not in any manifest
 * yet. Brokers, which cannot open tree nodes, pass the ids they must keep (`liveIds`,
 * e.g. listed by the uploader) and rely on expiry for the rest.
 */
import { openTreeNode, type ChunkId, type ObjectRef } from '../src/chunks/index.js';
import type { ChunkStore, CompactionReport } from '../src/ports/chunk-store.js';

export interface GarbageCollectionInit {
  readonly liveRoots?: readonly ObjectRef[];
  readonly liveIds?: Iterable<ChunkId>;
  /** Milliseconds since the epoch; required with graceMs. */
  readonly now?: number;
  readonly graceMs?: number;
}

export interface GarbageCollectionReport {
  readonly live: number;
  readonly deleted: number;
  readonly bytesDeleted: number;
  /** Unreferenced chunks kept because they are younger than the grace period. */
  readonly keptYoung: number;
  /** Live chunks that were not in the store (an incomplete object). */
  readonly missingLive: number;
  /** Space reclaimed by the store's compact() after the sweep (stores that have one). */
  readonly compaction?: CompactionReport;
}

export async function collectGarbage(store: ChunkStore, init: GarbageCollectionInit): Promise<GarbageCollectionReport> {
  if (init.graceMs !== undefined && init.now === undefined) throw new RangeError('collectGarbage: graceMs needs now');
  const live = new Set<ChunkId>(init.liveIds ?? []);
  let missingLive = 0;
  for (const root of init.liveRoots ?? []) missingLive += await mark(store, root, live);
  const cutoff = init.graceMs !== undefined ? init.now! - init.graceMs : Infinity;
  let deleted = 0;
  let bytesDeleted = 0;
  let keptYoung = 0;
  for await (const c of store.list()) {
    if (live.has(c.id)) continue;
    if (c.storedAt > cutoff) {
      keptYoung++;
      continue;
    }
    // The store checks the time again as it deletes: a chunk re-put since list() saw it stays.
    if (await store.delete(c.id, Number.isFinite(cutoff) ? cutoff : undefined)) {
      deleted++;
      bytesDeleted += c.bytes;
    }
  }
  const report = { live: live.size, deleted, bytesDeleted, keptYoung, missingLive };
  if (deleted > 0 && store.compact) return { ...report, compaction: await store.compact() };
  return report;
}

/**
 * Adds every chunk id below `root` to `live`. A node that is missing or unreadable stays
 * live but cannot name its children: those it still has here are unreferenced (kept
 * only by the grace period) and will be fetched again with the node. Returns how many
 * nodes were missing or unreadable.
 */
async function mark(store: ChunkStore, root: ObjectRef, live: Set<ChunkId>): Promise<number> {
  let missing = 0;
  const stack: ObjectRef[] = [root];
  while (stack.length > 0) {
    const ref = stack.pop()!;
    if (live.has(ref.id) && ref !== root) continue; // a shared subtree is walked once
    live.add(ref.id);
    if (ref.height === 0) continue;
    const bytes = await store.get(ref.id);
    if (bytes === undefined) {
      missing++;
      continue;
    }
    try {
      stack.push(...openTreeNode(ref, bytes));
    } catch {
      missing++;
    }
  }
  return missing;
}
