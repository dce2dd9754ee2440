/**
 * Folder operations expressed as entry operations. A folder is implicit in the paths
 * of what it holds (or an explicit 'folder' entry when empty), so renaming or
 * deleting it is one op per visible entry at or below it; the caller puts them all
 * in one commit, which Manifest.applyCommit applies as one step.
 */
import type { ManifestEntry } from './manifest-view.js';
import type { ManifestOp } from './manifest-ops.js';
import { InvalidPathError, assertNormalPath, isWithin } from './paths.js';

/**
 * Renames for moving folder `from` to `to` (both normal paths), built from the
 * visible view (so an entry shown under a conflict name keeps that name).
 * Throws InvalidPathError if `to` lies inside `from` or a new path is invalid.
 */
export function renameFolderOps(view: Iterable<ManifestEntry>, from: string, to: string): ManifestOp[] {
  assertNormalPath(from);
  assertNormalPath(to);
  if (from === to) return [];
  if (isWithin(to, from)) throw new InvalidPathError('inside-itself', to);
  const ops: ManifestOp[] = [];
  for (const e of view) {
    if (!isWithin(e.path, from)) continue;
    const path = to + e.path.slice(from.length);
    assertNormalPath(path);
    ops.push({ type: 'rename', file: e.file, path });
  }
  return ops;
}

/** Deletes for every visible entry at or below `folder`. */
export function deleteFolderOps(view: Iterable<ManifestEntry>, folder: string): ManifestOp[] {
  assertNormalPath(folder);
  const ops: ManifestOp[] = [];
  for (const e of view) if (isWithin(e.path, folder)) ops.push({ type: 'delete', file: e.file });
  return ops;
}
