/**
 * A three-way merge of plain texts, for a file whose common base with the share is not a
 * version the share ever had (a member joining with their own Git clone: the base is
 * the clone's HEAD, the share holds the sharer's text). The member's changes since the
 * base (real hunks) are moved past the share's changes since the base (op-transform.ts),
 * giving hunks of the share's text: disjoint edits land as `git merge-file` would put
 * them; overlapping ones keep both inserts (nothing of either side is lost).
 */
import { diffHunks } from './diff.js';
import { toHunks, xform, type Op } from './op-transform.js';
import type { Hunk } from './types.js';

/** Hunks of `theirs` that bring in `ours`' changes since `base`. */
export function rebaseOnto(base: string, ours: string, theirs: string): Hunk[] {
  const [mine] = xform(sequential(diffHunks(base, ours)), sequential(diffHunks(base, theirs)));
  return toHunks(theirs.length, mine).filter((h) => h.deleteCount > 0 || h.insert.length > 0);
}

/** Ascending simultaneous hunks as a sequence: applied from the last, each leaves the earlier offsets valid. */
function sequential(hunks: readonly Hunk[]): Op[] {
  return [...hunks].reverse();
}
