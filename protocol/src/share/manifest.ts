/**
 * The manifest of a share: which entries (text files, binary files, empty folders)
 * exist and at which path. It is a CRDT driven by the ops of the share's commits,
 * applied in any causal order (each commit after its dependencies); every such order
 * gives the same view on every replica.
 *
 * Decisions (issue: "create, rename and delete of files and folders, with defined
 * results in concurrent cases"):
 *
 * 1. Identity. Every entry has a FileId picked by its creator (16 random bytes from
 *    the caller's RandomSource; see manifest-ops.ts for why not the commit id). Text
 *    edits target FileIds, not paths, so a rename never loses an edit.
 *
 * 2. Path = multi-value register. Each create/rename writes the register; a write
 *    removes the writes in its causal past (and earlier writes of its own commit:
 *    within a commit the last op wins). What stays is a set of concurrent writes;
 *    the entry wants the path of the one with the greatest commit id. Because the
 *    register keeps the whole antichain, three concurrent renames give the same
 *    result in every arrival order, which a pairwise last-writer-wins would not.
 *
 * 3. Delete vs. activity. Activity on an entry = its creates, its renames and every
 *    text edit reported with noteActivity. An entry is deleted iff some delete D of
 *    it has every activity in its causal past or in D's own commit. So an edit or a
 *    rename concurrent with a delete (or after it) brings the entry back: nothing a
 *    teammate typed is lost silently; deleting again after seeing the edit deletes
 *    it. Only the maximal activity commits and maximal deletes are kept (antichains),
 *    so the check costs a few ancestry queries. A delete covers its whole commit:
 *    a commit that both renames and deletes an entry deletes it.
 *
 * 4. Same path. Entries wanting one path all stay; the smallest FileId is shown
 *    there, the others at `stem (conflict <last 8 chars of FileId>).ext` in the same
 *    folder (unique by construction, see manifest-view.ts). A file whose path is also
 *    a folder of other entries (`docs` vs `docs/a.md`) yields the path to the folder.
 *    Two explicit folders wanting one path are treated like two files.
 *
 * 5. Folders. Folders of files are implicit in their paths; an explicit 'folder'
 *    entry exists for empty folders. Renaming or deleting a folder is one op per
 *    entry at or below it, all in one commit (manifest-folders.ts builds them).
 *
 * 6. Validation. A rename, delete or noteActivity is refused (ManifestOpError
 *    'unknown-file', nothing changed) unless a create of the entry is in the causal
 *    past of its commit or earlier in the same commit: in a causal order anything
 *    else is a forged or broken op. A second create of an existing FileId is
 *    accepted as a write and an activity; the entry's kind is that of the create
 *    with the smallest commit id. Re-applying an (op, commit) already applied is a
 *    no-op (so an identical op repeated inside one commit counts once).
 *
 * Paths are case-sensitive and not Unicode-normalised (see paths.ts).
 */
import type { CommitId } from '../log/ids.js';
import { type DesiredEntry, type ManifestChange, type ManifestEntry, VisiblePaths } from './manifest-view.js';
import { type EntryKind, type FileId, type ManifestOp, ManifestOpError, checkManifestOp, manifestOpKey } from './manifest-ops.js';

export type { ManifestChange, ManifestEntry } from './manifest-view.js';
export {
  type EntryKind,
  type FileId,
  type ManifestOp,
  ManifestOpError,
  type ManifestOpErrorReason,
  fileIdFromBytes,
  fileIdToBytes,
  isFileId,
} from './manifest-ops.js';

/** The causal queries the manifest needs; CommitGraph provides both. */
export interface Causality {
  /** True if `a` is strictly in the causal past of `b`. */
  isAncestor(a: CommitId, b: CommitId): boolean;
  /**
   * Optional: every commit in the causal past of `heads`, inclusive. When present,
   * a commit that asks many ancestry questions (a folder rename touching entries
   * created long ago) computes its past once instead of searching once per entry.
   */
  ancestorsOf?(heads: readonly CommitId[]): ReadonlySet<CommitId>;
}

/** Past-set lookups beat repeated searches from this many distinct questions on. */
const PAST_SET_AFTER = 8;

interface EntryRecord {
  /** Create commits and the kind each one gave. */
  readonly creates: Map<CommitId, EntryKind>;
  /** The path register: concurrent writes by commit. */
  readonly paths: Map<CommitId, string>;
  /** Maximal activity commits. */
  readonly activity: Set<CommitId>;
  /** Maximal delete commits. */
  readonly deletes: Set<CommitId>;
}

export class Manifest {
  private readonly records = new Map<FileId, EntryRecord>();
  private readonly applied = new Set<string>();
  private readonly visible = new VisiblePaths();
  /** Answers about the causal past of the commit being applied (ancestry never changes). */
  private current: { commit: CommitId; answers: Map<CommitId, boolean>; past?: ReadonlySet<CommitId> } | undefined;

  constructor(private readonly causality: Causality) {}

  /** Applies one op of `commit`; returns how the view changed. */
  apply(op: ManifestOp, commit: CommitId): ManifestChange[] {
    return this.applyCommit([op], commit);
  }

  /**
   * Applies the ops of one commit, in order, as one step: either all are applied or
   * (on ManifestOpError / InvalidPathError) none. Returns the net view changes, so a
   * folder rename is reported as plain moves without intermediate conflicts.
   */
  applyCommit(ops: readonly ManifestOp[], commit: CommitId): ManifestChange[] {
    this.focus(commit);
    const fresh: Array<[ManifestOp, string]> = [];
    const keys = new Set<string>();
    const createdHere = new Set<FileId>();
    for (const op of ops) {
      checkManifestOp(op);
      const key = commit + manifestOpKey(op);
      if (this.applied.has(key) || keys.has(key)) continue;
      keys.add(key);
      fresh.push([op, key]);
      if (op.type === 'create') createdHere.add(op.file);
      else if (!createdHere.has(op.file)) this.requireCreated(op.file, commit);
    }
    const dirty = new Set<FileId>();
    for (const [op, key] of fresh) {
      this.applied.add(key);
      dirty.add(op.file);
      let rec = this.records.get(op.file);
      if (!rec) {
        rec = { creates: new Map(), paths: new Map(), activity: new Set(), deletes: new Set() };
        this.records.set(op.file, rec);
      }
      if (op.type === 'delete') {
        this.insertMaximal(rec.deletes, commit);
        continue;
      }
      if (op.type === 'create') rec.creates.set(commit, op.kind);
      const replaced = this.maximalBelow(rec.paths.keys(), commit);
      if (replaced) {
        for (const c of replaced) rec.paths.delete(c);
        rec.paths.set(commit, op.path);
      }
      this.insertMaximal(rec.activity, commit);
    }
    return this.refresh(dirty);
  }

  /**
   * Notes that `commit` edits the content of `file`: it keeps (or brings back) the
   * entry against deletes that did not see it. Returns the view changes (a
   * resurrected entry is 'added'). Refused like a rename for an unknown file.
   */
  noteActivity(file: FileId, commit: CommitId): ManifestChange[] {
    const rec = this.records.get(file);
    if (!rec) throw new ManifestOpError('unknown-file', file, 'no create of this entry was applied');
    this.focus(commit);
    const below = this.maximalBelow(rec.activity, commit);
    if (!below || below.includes(commit)) return [];
    if (below.length === 0) this.requireCreated(file, commit);
    for (const c of below) rec.activity.delete(c);
    rec.activity.add(commit);
    return rec.deletes.size === 0 ? [] : this.refresh([file]);
  }

  /** Visible entries sorted by path. */
  view(): ManifestEntry[] {
    return this.visible.entries();
  }

  get size(): number {
    return this.visible.size;
  }

  entry(file: FileId): ManifestEntry | undefined {
    return this.visible.entry(file);
  }

  pathOf(file: FileId): string | undefined {
    return this.visible.entry(file)?.path;
  }

  fileAt(path: string): FileId | undefined {
    return this.visible.fileAt(path);
  }

  /** An entry's latest deletes (its maximal delete commits); for a visible entry, deletes that a concurrent edit or rename overrode. */
  deletesOf(file: FileId): CommitId[] {
    return [...(this.records.get(file)?.deletes ?? [])];
  }

  /** True if the entry was created and is now deleted (not visible, but may come back). */
  isDeleted(file: FileId): boolean {
    return this.records.has(file) && !this.visible.entry(file);
  }

  private focus(commit: CommitId): void {
    if (this.current?.commit !== commit) this.current = { commit, answers: new Map() };
  }

  /** True if `a` is `b` or in its causal past. */
  private atOrBefore(a: CommitId, b: CommitId): boolean {
    if (a === b) return true;
    const cur = this.current;
    if (cur?.commit !== b) return this.causality.isAncestor(a, b);
    if (cur.past) return cur.past.has(a);
    let answer = cur.answers.get(a);
    if (answer === undefined) {
      if (cur.answers.size >= PAST_SET_AFTER && this.causality.ancestorsOf) {
        cur.past = this.causality.ancestorsOf([b]);
        return cur.past.has(a);
      }
      answer = this.causality.isAncestor(a, b);
      cur.answers.set(a, answer);
    }
    return answer;
  }

  /**
   * The members of an antichain that are in the causal past of `c` or are `c`
   * (to be replaced by it), or undefined if `c` is already covered (in the causal
   * past of a member; never the case in a causal order).
   */
  private maximalBelow(antichain: Iterable<CommitId>, c: CommitId): CommitId[] | undefined {
    const below: CommitId[] = [];
    for (const m of antichain) {
      if (this.atOrBefore(m, c)) below.push(m);
      else if (this.causality.isAncestor(c, m)) return undefined;
    }
    return below;
  }

  /** Adds `c` to an antichain unless it is covered. */
  private insertMaximal(antichain: Set<CommitId>, c: CommitId): void {
    const below = this.maximalBelow(antichain, c);
    if (!below) return;
    for (const m of below) antichain.delete(m);
    antichain.add(c);
  }

  private requireCreated(file: FileId, commit: CommitId): void {
    const rec = this.records.get(file);
    // Every activity has a create in its causal past, so an activity at or below
    // `commit` proves one cheaply; otherwise ask about the creates themselves.
    const ok =
      rec !== undefined &&
      ([...rec.activity].some((a) => this.atOrBefore(a, commit)) || [...rec.creates.keys()].some((k) => this.atOrBefore(k, commit)));
    if (!ok) throw new ManifestOpError('unknown-file', file, `no create of it is in the causal past of ${commit.slice(0, 10)}`);
  }

  private isDeletedRecord(rec: EntryRecord): boolean {
    for (const d of rec.deletes) {
      if ([...rec.activity].every((a) => this.atOrBefore(a, d))) return true;
    }
    return false;
  }

  private refresh(files: Iterable<FileId>): ManifestChange[] {
    const updates = new Map<FileId, DesiredEntry | undefined>();
    for (const file of files) {
      const rec = this.records.get(file)!;
      if (this.isDeletedRecord(rec)) {
        updates.set(file, undefined);
        continue;
      }
      let path = '';
      let pathCommit = '';
      for (const [c, p] of rec.paths) if (c > pathCommit) [pathCommit, path] = [c, p];
      let kind: EntryKind = 'text';
      let kindCommit: string | undefined;
      for (const [c, k] of rec.creates) if (kindCommit === undefined || c < kindCommit) [kindCommit, kind] = [c, k];
      updates.set(file, { path, kind });
    }
    return this.visible.update(updates);
  }
}
