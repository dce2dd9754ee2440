/**
 * What a sync session needs from a replica, and the few DAG walks it does over it.
 * Commits are opaque bytes here: the session only uses ids and dependencies, and
 * reads the source afresh on every call (the replica merges what a step delivered
 * between calls).
 */
import type { CommitId } from '../log/ids.js';

export interface SyncSource {
  /** Current heads (commits nothing else depends on). */
  heads(): CommitId[];
  has(id: CommitId): boolean;
  /** Dependencies of a commit the source has. */
  deps(id: CommitId): readonly CommitId[];
  /** The commit's full encoding, as it goes on the wire. */
  commitBytes(id: CommitId): Uint8Array | undefined;
  /** Every id the source has, dependencies first. */
  topological(): readonly CommitId[];
  /**
   * Ids that commits of the source depend on but the source lacks. Only a source that
   * stores commits before their dependencies has any (a broker's index); a replica
   * buffers such commits outside the source and leaves this out.
   */
  missingDependencies?(): Iterable<CommitId>;
}

/** A replica a driver can hand received commits to (tests and benchmarks). */
export interface SyncReplica extends SyncSource {
  merge(bytes: Uint8Array): void;
}

/** Every commit of `source` reachable from `roots` (inclusive); roots it lacks are skipped. */
export function ancestorsIn(source: SyncSource, roots: Iterable<CommitId>): Set<CommitId> {
  const seen = new Set<CommitId>();
  const stack: CommitId[] = [];
  for (const r of roots) if (source.has(r)) stack.push(r);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const d of source.deps(id)) if (!seen.has(d)) stack.push(d);
  }
  return seen;
}

/** Sorted, duplicate-free copy (the canonical order of id lists on the wire). */
export function sortedIds(ids: Iterable<CommitId>): CommitId[] {
  return [...new Set(ids)].sort();
}

export function sameIds(a: readonly CommitId[], b: readonly CommitId[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
