/**
 * The visible side of the manifest: from the live entries and the path each one
 * wants (its "desired" path), the path each one is shown at, kept up to date
 * incrementally and reported as exact changes.
 *
 * Rules (a pure function of the live entries, so every replica shows the same thing):
 * - A path is *reserved* if a live entry wants it or a live entry lies below it
 *   (it is then an implicit folder).
 * - Among the live entries that want path P, those that may sit there are the
 *   folders, and also the files when P is not an implicit folder (a file cannot
 *   have children on disk). The eligible entry with the smallest FileId gets P.
 * - Every other entry that wants P gets a conflict name in the same folder:
 *   `stem (conflict <tag>).ext`, tag = the last 8 characters of its FileId (random in
 *   every id: the first ones are the file's time, shared by files made within a
 *   minute), or the whole FileId if another such entry shares those 8, then
 *   `<FileId> 2`, `<FileId> 3`,
 *   ... while the name is reserved. Conflict names never collide with each other
 *   (see conflictPath), nor with a reserved path, and their folders are implicit
 *   folders, so every visible path is unique and never lies below a file.
 * Because conflict names are not reserved, a change can only move entries of the
 * paths it touched, of their ancestors, and the losers whose name (or a name they
 * skipped) is one of those: one pass over those groups is exact.
 */
import type { EntryKind, FileId } from './manifest-ops.js';
import { ancestorFolders, conflictPath } from './paths.js';

export interface ManifestEntry {
  readonly file: FileId;
  /** Where it is shown (a conflict name when its desired path is taken). */
  readonly path: string;
  readonly kind: EntryKind;
}

/**
 * A change of the visible view. `moved` keeps the kind and carries `oldPath`; a kind
 * change is reported as `removed` then `added`. A call's changes are ordered
 * removed, moved, added; moves may form chains or cycles (a -> b while b -> c), so
 * an editor binding applies them in two steps (out of the way, then into place).
 */
export interface ManifestChange {
  readonly type: 'added' | 'removed' | 'moved';
  readonly file: FileId;
  readonly path: string;
  readonly oldPath?: string;
  readonly kind: EntryKind;
}

export interface DesiredEntry {
  readonly path: string;
  readonly kind: EntryKind;
}

const CHANGE_ORDER = { removed: 0, moved: 1, added: 2 } as const;

export class VisiblePaths {
  private readonly desired = new Map<FileId, DesiredEntry>();
  private readonly byPath = new Map<string, Set<FileId>>();
  /** Implicit folders: how many live entries lie below each. */
  private readonly below = new Map<string, number>();
  private readonly shown = new Map<FileId, string>();
  private readonly atPath = new Map<string, FileId>();
  /** Reserved names a conflicting entry passed over, both ways. */
  private readonly skippedBy = new Map<FileId, string[]>();
  private readonly skippers = new Map<string, Set<FileId>>();

  get size(): number {
    return this.shown.size;
  }

  entry(file: FileId): ManifestEntry | undefined {
    const path = this.shown.get(file);
    return path === undefined ? undefined : { file, path, kind: this.desired.get(file)!.kind };
  }

  fileAt(path: string): FileId | undefined {
    return this.atPath.get(path);
  }

  entries(): ManifestEntry[] {
    const out: ManifestEntry[] = [];
    for (const [file, path] of this.shown) out.push({ file, path, kind: this.desired.get(file)!.kind });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Sets the live state of some entries (undefined = not live) and returns the view changes. */
  update(updates: ReadonlyMap<FileId, DesiredEntry | undefined>): ManifestChange[] {
    const before = new Map<FileId, ManifestEntry | undefined>();
    const touched = new Set<string>();
    for (const [file, next] of updates) {
      const prev = this.desired.get(file);
      if (prev?.path === next?.path && prev?.kind === next?.kind) continue;
      before.set(file, this.entry(file));
      if (prev) this.unindex(file, prev.path, touched);
      if (next) this.index(file, next, touched);
      else this.unplace(file);
    }
    if (before.size === 0) return [];

    const groups = new Set(touched);
    for (const name of touched) {
      const holder = this.atPath.get(name);
      const want = holder && this.desired.get(holder)?.path;
      if (want !== undefined) groups.add(want);
      for (const s of this.skippers.get(name) ?? []) groups.add(this.desired.get(s)!.path);
    }
    const placed: Array<[FileId, string, string[]]> = [];
    for (const path of groups) this.resolve(path, placed);
    for (const [file] of placed) {
      if (!before.has(file)) before.set(file, this.entry(file));
      this.unplace(file);
    }
    for (const [file, path, skipped] of placed) this.place(file, path, skipped);
    return this.diff(before);
  }

  private index(file: FileId, next: DesiredEntry, touched: Set<string>): void {
    this.desired.set(file, next);
    let set = this.byPath.get(next.path);
    if (!set) this.byPath.set(next.path, (set = new Set()));
    set.add(file);
    touched.add(next.path);
    for (const dir of ancestorFolders(next.path)) {
      this.below.set(dir, (this.below.get(dir) ?? 0) + 1);
      touched.add(dir);
    }
  }

  private unindex(file: FileId, path: string, touched: Set<string>): void {
    this.desired.delete(file);
    const set = this.byPath.get(path)!;
    set.delete(file);
    if (set.size === 0) this.byPath.delete(path);
    touched.add(path);
    for (const dir of ancestorFolders(path)) {
      const n = this.below.get(dir)! - 1;
      if (n === 0) this.below.delete(dir);
      else this.below.set(dir, n);
      touched.add(dir);
    }
  }

  private reserved(path: string): boolean {
    return this.byPath.has(path) || this.below.has(path);
  }

  /** Computes where every entry that wants `path` is shown (without placing it yet). */
  private resolve(path: string, out: Array<[FileId, string, string[]]>): void {
    const members = this.byPath.get(path);
    if (!members) return;
    const isFolder = this.below.has(path);
    const ids = [...members].sort();
    const winner = ids.find((f) => !isFolder || this.desired.get(f)!.kind === 'folder');
    const losers = ids.filter((f) => f !== winner);
    if (winner) out.push([winner, path, []]);
    const prefixes = new Map<string, number>();
    for (const f of losers) prefixes.set(conflictTag(f), (prefixes.get(conflictTag(f)) ?? 0) + 1);
    for (const f of losers) {
      const folder = this.desired.get(f)!.kind === 'folder';
      const skipped: string[] = [];
      for (let k = prefixes.get(conflictTag(f))! > 1 ? 1 : 0; ; k++) {
        const tag = k === 0 ? conflictTag(f) : k === 1 ? f : `${f} ${k}`;
        const name = conflictPath(path, tag, folder);
        if (!this.reserved(name)) {
          out.push([f, name, skipped]);
          break;
        }
        skipped.push(name);
      }
    }
  }

  private unplace(file: FileId): void {
    const path = this.shown.get(file);
    if (path !== undefined) {
      this.shown.delete(file);
      if (this.atPath.get(path) === file) this.atPath.delete(path);
    }
    for (const name of this.skippedBy.get(file) ?? []) {
      const set = this.skippers.get(name)!;
      set.delete(file);
      if (set.size === 0) this.skippers.delete(name);
    }
    this.skippedBy.delete(file);
  }

  private place(file: FileId, path: string, skipped: string[]): void {
    this.shown.set(file, path);
    this.atPath.set(path, file);
    if (skipped.length === 0) return;
    this.skippedBy.set(file, skipped);
    for (const name of skipped) {
      let set = this.skippers.get(name);
      if (!set) this.skippers.set(name, (set = new Set()));
      set.add(file);
    }
  }

  private diff(before: ReadonlyMap<FileId, ManifestEntry | undefined>): ManifestChange[] {
    const changes: ManifestChange[] = [];
    for (const [file, was] of before) {
      const now = this.entry(file);
      if (was && (!now || now.kind !== was.kind)) changes.push({ type: 'removed', file, path: was.path, kind: was.kind });
      if (now && (!was || now.kind !== was.kind)) changes.push({ type: 'added', file, path: now.path, kind: now.kind });
      if (was && now && now.kind === was.kind && now.path !== was.path) {
        changes.push({ type: 'moved', file, path: now.path, oldPath: was.path, kind: now.kind });
      }
    }
    return changes.sort(
      (a, b) => CHANGE_ORDER[a.type] - CHANGE_ORDER[b.type] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
  }
}

/** The short tag of an entry's conflict name: the last 8 hex digits of its FileId (the first ones are its time). */
export function conflictTag(file: FileId): string {
  return file.slice(-8);
}
