/**
 * A member's text files <-> the share's text entries: one pass, run by folder-mirror.ts
 * on disk events, remote changes and a periodic rescan, the same for `weft peer` and the
 * VS Code extension (which keeps the files open in editors for its editor binding).
 *
 * The rules (docs/FOLDERS.md):
 * - An edit found on disk is the change from the record's base (the text at the version
 *   the disk last agreed with) to the disk's text: real hunks (diffHunks), made at that
 *   version (editAt), so edits in several places merge as `git merge-file` merges them,
 *   and an edit made while the mirror was stopped merges on restart like any other.
 * - A change of any size is split into commits under the limit (local-batch.ts), and
 *   nothing on disk is changed by taking a change in: a failed commit leaves the disk as
 *   the member left it.
 * - Never overwrite what was not shared: a file on disk that no record describes is
 *   taken in (adopted when equal to the share's text, taken as an older copy when equal
 *   to an earlier version, merged from a common version when one is known, else shared
 *   as a new entry, which the manifest shows beside the other under a conflict name).
 * - The share writes only through a Folder (node-folder.ts: never through a link, never
 *   outside the folder, never `.git/` or `.weft/`).
 * - A delete is taken in only after the file stayed missing for DELETE_GRACE_MS (an
 *   editor's save-as-rename is a rename, not a delete and a create); a missing file and
 *   a new one with the same bytes are a rename.
 * - A file a teammate deleted while this member edited it comes back with the member's
 *   edit (made in the deleted entry, which an edit brings back): an edit is never lost
 *   to a concurrent delete.
 * - A reader's edits are never committed: kept beside the file (`name (not shared).ext`),
 *   and the file takes the share's text again; teammates' edits keep arriving.
 */
import type { ShareReplica } from '../src/share/replica.js';
import type { FileId, ManifestEntry } from '../src/share/manifest.js';
import { conflictPath } from '../src/share/paths.js';
import { conflictTag } from '../src/share/manifest-view.js';
import { gitEditAuthor, type GitEdit } from '../src/share/git-edit.js';
import { diffHunks } from '../src/text/diff.js';
import { rebaseOnto } from '../src/text/three-way.js';
import type { Hunk, Id, TextOp, VersionVector } from '../src/text/types.js';
import type { IgnoreRules } from './ignore-rules.js';
import type { GitHeadState } from './git-checkout.js';
import { UnsafePathError, type FileStat, type Folder } from './folder.js';
import { bytesOf, hashOf, hashOfText, textOf } from './file-bytes.js';
import { LocalBatch } from './local-batch.js';
import { MOVE_LINES_KEPT, linesInCommon, linesKept, pairMoves } from './similar-text.js';
import type { DiskState, MirrorRecord, MirrorRecords, SavedVersion } from './mirror-records.js';

/** A file that vanished is deleted from the share once it stayed missing this long. */
export const DELETE_GRACE_MS = 400;
/** A new file larger than this is shared as binary (an existing text entry stays text at any size). */
export const MAX_NEW_TEXT_BYTES = 8 * 1024 * 1024;
/** Base texts kept in memory (bytes of UTF-16), so a keystroke saved by another editor needs no replay. */
const BASE_CACHE_UNITS = 32 * 1024 * 1024;

/** What the mirror needs of a share replica (ShareReplica has it all). */
export type MirrorReplica = Pick<
  ShareReplica,
  'files' | 'fileAt' | 'pathOf' | 'text' | 'document' | 'myRole' | 'meAgent' | 'versionOf' | 'textAt' | 'authorsAt' | 'editAt' | 'edit' | 'createFile' | 'renameFile' | 'deleteFile' | 'findVersionWithText' | 'gitEdit' | 'branch' | 'deletersOf' | 'revokedBy'
>;

export interface TextMirrorInit {
  readonly folder: Folder;
  readonly records: MirrorRecords;
  readonly replica: MirrorReplica;
  /** Stores and publishes what the replica staged. */
  commit(): Promise<unknown>;
  log(line: string): void;
  now(): number;
  /** Paths an editor has open: its binding owns them (neither read nor written here). */
  owned?(path: string): boolean;
  /** The member's Git working tree, if the folder is one (git-checkout.ts). */
  readonly git?: MirrorGit;
  /**
   * Git put `path` back to HEAD (a stash, a reset, a checkout of the file), which removes
   * uncommitted text from the share, perhaps teammates'. True: share it. Default: no (the
   * share's text is written back, and the log says why).
   */
  confirmRevert?(path: string, removedChars: number): Promise<boolean>;
  /** The checkout went away from the share's branch (its name) or came back (undefined). */
  awayChanged?(branch: string | undefined): void;
  /** Something the member should see now, not only in the log. */
  notice?(text: string): void;
  /** Bytes of text per commit (tests make it small). */
  readonly commitBudget?: number;
  /** Test hook: called right before the share's text is written to `path` (its record already says a write is pending). */
  beforeWrite?(path: string): void;
}

/** What the mirror asks of a Git working tree (GitCheckout). */
export interface MirrorGit {
  head(): Promise<GitHeadState>;
  /** A file's text at a commit (default HEAD). */
  text(path: string, commit?: string): Promise<string | undefined>;
  /** The commits after `from` up to `to` that changed `path`, oldest first, along first parents. */
  commitsChanging(path: string, from: string, to: string): Promise<string[]>;
}

export interface TextPassResult {
  /** Files on disk in scope that are not text (for the binary mirror). */
  readonly binaries: Map<string, FileStat>;
  /** Run another pass after this many ms (a delete's grace, a file that changed while written). */
  readonly again: number | undefined;
  /** The member's checkout is on another branch than the share follows: nothing was taken in or written. */
  readonly away?: string;
}

interface DiskText {
  readonly text: string;
  readonly hash: string;
  readonly stat: FileStat;
}

interface NewFile extends DiskText {
  readonly path: string;
  /** Another entry wants this path: which of the two keeps it (see takeInUntracked). */
  readonly beside?: { readonly file: FileId; readonly order: 'before' | 'after' };
}

/** What one pass did, for the member (the first pass after a join prints it). */
interface PassSummary {
  adopted: number;
  updated: number;
  merged: number;
  keptBeside: number;
}

function sameStat(a: FileStat | undefined, b: FileStat | undefined): boolean {
  return a !== undefined && b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function saved(v: VersionVector): SavedVersion {
  return Object.fromEntries(v);
}

function versionVector(v: SavedVersion): VersionVector {
  return new Map(Object.entries(v));
}

/** Does the document hold every id of `v`? (A record written just before a commit that a crash lost names ids it lacks.) */
function holds(doc: VersionVector, v: SavedVersion): boolean {
  for (const [agent, n] of Object.entries(v)) if ((doc.get(agent) ?? 0) < n) return false;
  return true;
}

/** `notes.md` -> `notes (not shared).md`: where a reader's own edit is kept. */
export function unsharedCopyPath(path: string): string {
  return conflictPath(path, 'not shared', false).replace(' (conflict not shared)', ' (not shared)');
}

export class TextMirror {
  private readonly missingSince = new Map<string, number>();
  private readonly warned = new Set<string>();
  /** A full pass ran (deletes overridden before it were told before a restart). */
  private startedPasses = false;
  private readonly baseTexts = new Map<string, string>();
  private baseUnits = 0;
  private summary: PassSummary = { adopted: 0, updated: 0, merged: 0, keptBeside: 0 };
  /** HEAD of the member's Git working tree in this pass. */
  private head: GitHeadState | undefined;
  private awayBranch: string | undefined;

  /** The branch the member's checkout is on while it is not the share's (away), else undefined. */
  get away(): string | undefined {
    return this.awayBranch;
  }

  /**
   * The branch the member's checkout is on, when it is not the one the share follows:
   * while away nothing of that branch is shared and teammates' edits are not written into
   * it; back on the share's branch, the records' bases merge what happened meanwhile.
   */
  private awayFrom(): string | undefined {
    const follows = this.replica.branch()?.name;
    const on = this.head?.branch ?? (this.head ? `a detached HEAD (${this.head.commit.slice(0, 8)})` : undefined);
    const away = follows !== undefined && on !== undefined && on !== follows ? on : undefined;
    if (away !== this.awayBranch) {
      if (away) this.init.log(`you are on ${away}; the share follows ${follows}: nothing is shared from this checkout or written into it until you are back on ${follows}`);
      else if (this.awayBranch) this.init.log(`back on ${follows}: your changes and your teammates' are merged`);
      this.awayBranch = away;
      this.init.awayChanged?.(away);
    }
    return away;
  }

  private toldCommit = false;

  /** A clone that joins at another commit than the share was made at is told what to do (once). */
  private checkJoiningCommit(): void {
    const shared = this.replica.branch();
    if (this.toldCommit || !this.head || !shared?.commit || this.head.commit === shared.commit) return;
    this.toldCommit = true;
    const text = `your clone is at ${this.head.commit.slice(0, 10)}, the share was made at ${shared.commit.slice(0, 10)} on ${shared.name}: files that differ from the share's are merged from Git's HEAD or kept beside. For a clean join, pull (or check out ${shared.commit.slice(0, 10)}) first.`;
    this.init.log(text);
    this.init.notice?.(text);
  }

  /** Until the first pass with keys of a mirror that started with no records: a member joining with files already in the folder. */
  joining = false;
  /**
   * Texts an editor saved at a path it owned (open documents: the editor binding put
   * their edits into the share as they were typed). Found on disk, such a text is not an
   * edit to take in: the file is stale, and the share's text is written over it.
   */
  private readonly editorTexts = new Map<string, Set<string>>();

  /** An editor saved `text` at `path` while its binding owned it (the text's edits are in the share). */
  editorSaved(path: string, hash: string): void {
    let set = this.editorTexts.get(path);
    if (!set) this.editorTexts.set(path, (set = new Set()));
    set.add(hash);
    if (set.size > 16) set.delete(set.values().next().value!);
  }

  constructor(private readonly init: TextMirrorInit) {}

  private get replica(): MirrorReplica {
    return this.init.replica;
  }

  private canWrite(): boolean {
    const role = this.replica.myRole();
    return role === 'owner' || role === 'admin' || role === 'writer';
  }

  private textEntry(path: string): ManifestEntry | undefined {
    const file = this.replica.fileAt(path);
    return file === undefined ? undefined : this.replica.files().find((e) => e.file === file && e.kind === 'text');
  }

  private alive(file: FileId): boolean {
    return this.replica.pathOf(file) !== undefined;
  }

  /**
   * What the disk last agreed with, as far as it can be known (see MirrorRecord.pending):
   * a pending write counts if the disk holds its bytes, a pending commit if the document
   * holds its version; else the state before it. Undefined: no version to merge from.
   */
  private effective(rec: MirrorRecord, diskHash: string | undefined): DiskState | undefined {
    if (rec.pending === 'write') return diskHash === rec.hash ? rec : rec.previous;
    if (!rec.version) return undefined;
    const doc = this.replica.versionOf(rec.file);
    if (holds(doc, rec.version)) return rec;
    if (rec.previous?.version && holds(doc, rec.previous.version)) return rec.previous;
    return undefined;
  }

  /**
   * The state an edit found on disk was made from (what the disk last agreed with, see
   * `effective`), also when a write that a crash cut short left its record pending and
   * the person edited the file since (writeBase).
   */
  private baseOfEdit(rec: MirrorRecord, d: DiskText): DiskState | undefined {
    if (rec.pending === 'write' && d.hash !== rec.hash && d.hash !== rec.previous?.hash) return this.writeBase(rec, d.text);
    return this.effective(rec, d.hash);
  }

  /**
   * A write may or may not have landed before the person edited the file: of its two
   * states (the text written, the one there before), the base is the one with more lines
   * on disk now (the text written holds the one before plus a teammate's edit: landed,
   * the disk holds both; not landed, the disk lacks that edit, and the two tie: the one
   * before). With no file there before, the text written if the disk kept at least half
   * of its lines, else none (the file is the person's own). The wrong one would put the
   * written text in a second time, or take it out.
   */
  private writeBase(rec: MirrorRecord, text: string): DiskState | undefined {
    const doc = this.replica.versionOf(rec.file);
    if (!rec.version || !holds(doc, rec.version)) return rec.previous;
    const written = this.baseText(rec.file, rec);
    if (!rec.previous?.version || !holds(doc, rec.previous.version)) return linesKept(written, text) >= MOVE_LINES_KEPT ? rec : rec.previous;
    return linesInCommon(written, text) > linesInCommon(this.baseText(rec.file, rec.previous), text) ? rec : rec.previous;
  }

  /**
   * Has the share's text of the record's file changed since the disk last agreed with it
   * (operations the disk's version lacks)? With a pending record, the older of its states
   * counts: a write that may not have happened was not seen.
   */
  private editedSince(rec: MirrorRecord): boolean {
    const base = this.effective(rec, undefined);
    if (!base?.version) return false;
    for (const [agent, n] of this.replica.versionOf(rec.file)) if (n > (base.version[agent] ?? 0)) return true;
    return false;
  }

  /** A record is settled: nothing pending, its version held (a file unchanged since need not be read). */
  private settledRecord(rec: MirrorRecord): boolean {
    return rec.pending === undefined && rec.version !== undefined && holds(this.replica.versionOf(rec.file), rec.version);
  }

  /**
   * Did this member's own delete of the record's file delete a teammate's edit that the
   * disk never had? A delete is staged at once but committed later, behind the commits
   * the runtime receives meanwhile: one of them can merge in between, and then it is in
   * the delete's causal past, which deletes it with the file (share/manifest.ts, rule 3).
   * The person deleted a text without that edit, so as with a delete concurrent with an
   * edit, the edit keeps the file.
   */
  private deleteSwallowedEdit(rec: MirrorRecord): boolean {
    const deleters = this.replica.deletersOf(rec.file);
    return deleters.length > 0 && deleters.every((d) => d.mine) && this.editedSince(rec);
  }

  /** The text of `file` at a saved version, from the cache when it has that text's hash. */
  private baseText(file: FileId, state: DiskState): string {
    const cached = this.baseTexts.get(state.hash);
    if (cached !== undefined) return cached;
    const text = this.replica.textAt(file, versionVector(state.version!));
    this.remember(state.hash, text);
    return text;
  }

  private remember(hash: string, text: string): void {
    if (this.baseTexts.has(hash) || text.length > BASE_CACHE_UNITS / 4) return;
    this.baseTexts.set(hash, text);
    this.baseUnits += text.length;
    for (const [h, t] of this.baseTexts) {
      if (this.baseUnits <= BASE_CACHE_UNITS) break;
      this.baseTexts.delete(h);
      this.baseUnits -= t.length;
    }
  }

  /**
   * One pass over `listing` (the folder's regular files; all of them when `scope` is
   * 'all', else those of the given paths) and the share's text entries.
   */
  async pass(listing: ReadonlyMap<string, FileStat>, scope: 'all' | ReadonlySet<string>, rules: IgnoreRules): Promise<TextPassResult> {
    const inScope = (p: string): boolean => scope === 'all' || scope.has(p);
    const mine = (p: string): boolean => inScope(p) && !rules.ignores(p) && !(this.init.owned?.(p) ?? false);
    this.head = this.init.git ? await this.init.git.head().catch(() => undefined) : undefined;
    if (this.joining) this.checkJoiningCommit();
    const away = this.awayFrom();
    if (away) return { binaries: new Map(), again: undefined, away };
    const batch = new LocalBatch(this.init.records, () => this.init.commit(), this.init.commitBudget);
    const binaries = new Map<string, FileStat>();
    let again: number | undefined;
    const soon = (ms: number): void => {
      again = again === undefined ? ms : Math.min(again, ms);
    };

    // 1. Read what may have changed: files with no record, or whose stat differs from it.
    const disk = new Map<string, DiskText>();
    for (const [path, stat] of listing) {
      if (!mine(path)) continue;
      const rec = this.init.records.at(path);
      if (rec?.kind === 'binary' || (!rec && this.replica.files().some((e) => e.path === path && e.kind === 'binary'))) {
        binaries.set(path, stat);
        continue;
      }
      if (rec && sameStat(rec, stat) && this.settledRecord(rec)) continue;
      const read = await this.readText(path, stat, rec !== undefined || this.textEntry(path) !== undefined);
      if (read === 'binary') binaries.set(path, stat);
      else if (read) disk.set(path, read);
    }

    // 2. Edits, adoptions and new files.
    const created: NewFile[] = [];
    /** Entries whose record follows their file to a new path in this pass (followMove). */
    const followed = new Set<FileId>();
    for (const [path, d] of disk) {
      const rec = this.init.records.at(path);
      if (rec?.kind === 'text' && this.editorTexts.get(path)?.has(d.hash)) {
        // Saved by an editor whose binding shared every edit: stale, not edited.
        batch.record({ set: { ...settle(rec, rec, d.stat), hash: d.hash } });
        this.editorTexts.delete(path);
        continue;
      }
      if (rec?.kind === 'text' && rec.pending === 'git') {
        // Behind the share until the member's pull: unchanged, wait; level with the share, agreed; pulled further, Git's; else found anew.
        if (d.hash === rec.hash) continue;
        if (!this.alive(rec.file)) batch.record({ forget: path });
        else if (d.text === this.replica.text(rec.file)) batch.record({ set: { path, file: rec.file, kind: 'text', hash: d.hash, size: d.stat.size, mtimeMs: d.stat.mtimeMs, version: saved(this.replica.versionOf(rec.file)), ...this.headField() } });
        else if (this.head && rec.head && this.head.commit !== rec.head && (await this.init.git?.text(path).catch(() => undefined)) === d.text) await this.takeInPullAfterWait(batch, rec, d);
        else await this.takeInUntracked(batch, path, d, rec.file, created);
        continue;
      }
      if (rec?.kind === 'text') {
        const base = this.baseOfEdit(rec, d);
        if (base && base.hash === d.hash) {
          if (!sameStat(rec, d.stat) || base !== rec || rec.pending) batch.record({ set: settle(rec, base, d.stat) });
          continue;
        }
        if (!this.alive(rec.file)) {
          if (this.canWrite()) {
            // The person edited a text without the delete: the edit, made in the entry, brings
            // it back (share/manifest.ts, rule 3), merged with any teammate's edit that also
            // keeps it. A copy as a new entry would hold the entry's lines a second time.
            this.init.log(`${path} was deleted by ${this.deleters(rec.file)} while you edited it: your edit keeps it`);
            if (base) await this.takeInEdit(batch, rec, base, d);
            else created.push({ path, ...d });
          } else batch.record({ forget: path });
          continue;
        }
        if (!this.canWrite()) {
          await this.keepReaderEdit(rec, d);
          continue;
        }
        if (base) await this.takeInChange(batch, rec, base, d);
        // No version left to merge from (a crash lost the commit a record named): as if found anew.
        else await this.takeInUntracked(batch, path, d, rec.file, created);
      } else {
        const entry = this.textEntry(path);
        const left = entry && (await this.leftBehind(entry.file as FileId, path));
        if (left && (await this.followMove(batch, left, path, d))) followed.add(left.file);
        else if (entry) await this.takeInUntracked(batch, path, d, entry.file as FileId, created);
        else if (this.canWrite()) created.push({ path, ...d });
      }
      await batch.flushIfFull();
    }

    // 3. Recorded files gone from disk: renames (same bytes at a new path, or moved and
    //    edited: a similar text), then deletes after a grace.
    const gone: MirrorRecord[] = [];
    for (const rec of this.init.records.all()) {
      if (rec.kind !== 'text' || listing.has(rec.path) || !mine(rec.path) || followed.has(rec.file)) continue;
      if (!this.alive(rec.file)) continue; // step 5
      if (!this.canWrite()) continue; // the share's text is written back below
      // A pending write may or may not have reached the disk: the file moved may hold either text.
      const hashes = new Set([rec.hash, ...(rec.pending === 'write' && rec.previous ? [rec.previous.hash] : [])]);
      const i = created.findIndex((c) => hashes.has(c.hash) && !this.textEntry(c.path));
      if (i >= 0) {
        const to = created.splice(i, 1)[0]!;
        this.renameEntry(batch, rec, to.path);
        batch.record({ set: { ...rec, path: to.path, size: to.stat.size, mtimeMs: to.stat.mtimeMs } });
        this.missingSince.delete(rec.path);
        this.init.log(`renamed ${rec.path} -> ${to.path}`);
        continue;
      }
      gone.push(rec);
    }
    for (const rec of await this.takeInMoves(batch, gone, created)) {
      if (rec.pending === 'write' && rec.previous === undefined) {
        // A write to where no file was, recorded and then cut short (a crash): nothing was
        // there to delete. The record goes, and the share's text is written below.
        batch.record({ forget: rec.path });
        this.init.log(`${rec.path} was not written before the mirror stopped: writing it now`);
        continue;
      }
      const since = this.missingSince.get(rec.path);
      if (since === undefined) {
        this.missingSince.set(rec.path, this.init.now());
        soon(DELETE_GRACE_MS);
      } else if (this.init.now() - since >= DELETE_GRACE_MS) {
        this.missingSince.delete(rec.path);
        if (this.editedSince(rec)) {
          // A teammate's edit merged after the disk last agreed (it arrived while the file
          // was missing, or while the mirror was stopped): the person deleted a text without
          // it, so the delete is concurrent with that edit, and the edit keeps the file.
          // Deleting it now, at the share's version, would delete the edit unseen.
          this.init.log(`${rec.path} was edited by a teammate while you deleted it: the edit keeps it, so it is back`);
          continue;
        }
        // The record stays until step 5 has seen the delete committed (see deleteSwallowedEdit).
        this.replica.deleteFile(rec.file);
        batch.addStaged(64);
        this.init.log(`deleted ${rec.path}`);
      } else soon(DELETE_GRACE_MS - (this.init.now() - since));
    }
    for (const path of [...this.missingSince.keys()]) if (listing.has(path) || !this.init.records.at(path)) this.missingSince.delete(path);

    for (const c of created) {
      await this.createEntry(batch, c);
      await batch.flushIfFull();
    }
    await batch.flush();

    // 4. The share's text to disk.
    for (const entry of this.replica.files()) {
      if (entry.kind !== 'text') continue;
      const rec = this.init.records.ofFile(entry.file as FileId);
      if (!inScope(entry.path) && !(rec && inScope(rec.path))) continue;
      if (rules.ignores(entry.path)) {
        this.warnOnce(`ignored\n${entry.path}`, `${entry.path} is shared by a teammate, but your .gitignore or weft.exclude leaves it out: not written here`);
        continue;
      }
      if (this.init.owned?.(entry.path)) continue;
      if (rec && this.missingSince.has(rec.path)) continue; // deleted here, in its grace: not written back
      this.reportOverriddenDeletes(entry, scope === 'all' && !this.startedPasses);
      const wait = await this.writeOut(entry, rec, listing);
      if (wait !== undefined) soon(wait);
    }
    if (scope === 'all') this.startedPasses = true;
    // 5. Files of entries no longer in the share: removed if untouched since written.
    for (const rec of this.init.records.all()) {
      if (rec.kind !== 'text' || this.alive(rec.file) || !mine(rec.path)) continue;
      const stat = await this.statOf(rec.path);
      if (stat && !sameStat(stat, rec) && (await this.hashAt(rec.path)) !== rec.hash) continue; // edited: step 2 brings it back
      if (!stat && this.canWrite() && this.deleteSwallowedEdit(rec)) {
        // Brought back by an activity after the delete (a rename to its path), committed
        // before the record goes: a crash in between finds the record, the file missing
        // and the edit unseen, which keeps the file.
        this.replica.renameFile(rec.file, rec.path);
        await this.init.commit();
        await this.init.records.commit([{ forget: rec.path }]);
        this.init.log(`${rec.path} was edited by a teammate while you deleted it: the edit keeps it, so it is back`);
        const entry = this.replica.files().find((e) => e.file === rec.file);
        const wait = entry && (await this.writeOut(entry, undefined, listing));
        if (wait !== undefined) soon(wait);
        continue;
      }
      if (stat) {
        await this.init.folder.remove(rec.path).catch((err: unknown) => this.init.log(`cannot remove ${rec.path}: ${message(err)}`));
        this.init.log(`removed ${rec.path}`);
      }
      await this.init.records.commit([{ forget: rec.path }]);
    }
    // While joining, the summary covers the whole join (see endJoining).
    if (!this.joining) this.reportSummary();
    return { binaries, again };
  }

  /** The join is over (a full pass with keys judged every file): says what became of the files already in the folder. */
  endJoining(): void {
    this.joining = false;
    this.reportSummary();
  }

  private async readText(path: string, stat: FileStat, knownText: boolean): Promise<DiskText | 'binary' | undefined> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.init.folder.read(path);
    } catch (err) {
      if (err instanceof UnsafePathError) return undefined;
      throw err;
    }
    if (!bytes) return undefined;
    const text = textOf(bytes);
    if (text === undefined || (!knownText && bytes.length > MAX_NEW_TEXT_BYTES)) return 'binary';
    return { text, hash: hashOf(bytes), stat };
  }

  /**
   * A tracked file changed on disk. Who changed it? If it now equals HEAD's blob: Git. A
   * change from a base that was HEAD's blob of the record's commit (nothing uncommitted
   * in it) to the blob of a new HEAD is Git bringing commits in (a pull, a merge, a
   * checkout): shared as Git edits, which land once however many members bring them in.
   * A change to HEAD's blob that removes only text teammates' pulls brought in is this
   * checkout catching up (`git checkout -- file` before the same pull): nothing shared.
   * A change to HEAD's blob from a base holding other uncommitted text is Git dropping
   * that text (a stash, a reset --hard, a checkout of the file): shared only if the
   * member confirms. Anything else is a person's edit.
   */
  private async takeInChange(batch: LocalBatch, rec: MirrorRecord, base: DiskState, d: DiskText): Promise<void> {
    const git = this.init.git;
    const head = this.head;
    const headText = git && head ? await git.text(rec.path).catch(() => undefined) : undefined;
    if (!git || !head || headText !== d.text) return this.takeInEdit(batch, rec, base, d);
    const before = this.baseText(rec.file, base);
    const committed = rec.head ? await git.text(rec.path, rec.head).catch(() => undefined) : undefined;
    if (committed === before && rec.head !== undefined && rec.head !== head.commit) {
      const commits = await git.commitsChanging(rec.path, rec.head, head.commit).catch(() => []);
      return this.takeInGitEdit(batch, rec, versionVector(base.version!), before, commits, d, stateOnly(base));
    }
    if (committed !== before) {
      const hunks = diffHunks(before, d.text);
      const removed = hunks.reduce((n, h) => n + h.deleteCount, 0);
      if (this.broughtInByGit(rec.file, base, hunks)) {
        // Nothing to share, and nothing written back: the pull that follows brings the file level again.
        batch.record({ set: { path: rec.path, file: rec.file, kind: 'text', hash: d.hash, size: d.stat.size, mtimeMs: d.stat.mtimeMs, version: saved(this.replica.versionOf(rec.file)), pending: 'git', ...this.headField() } });
        this.init.log(`${rec.path} is back at HEAD while the share holds commits teammates pulled: waiting for your pull`);
        return;
      }
      if (removed > 0 && !(await (this.init.confirmRevert?.(rec.path, removed) ?? Promise.resolve(false)))) {
        this.init.log(
          `Git put ${rec.path} back to HEAD, which would remove ${removed} characters of uncommitted text (perhaps teammates') from the share: not shared, and the share's text is written back. To remove that text for everyone, edit the file.`,
        );
        // The disk's text stands for the base until the share's is written over it below.
        batch.record({ set: { ...settle(rec, base, d.stat), hash: d.hash } });
        return;
      }
    }
    return this.takeInEdit(batch, rec, base, d);
  }

  /** Does everything `hunks` delete from the text at `base` come from Git edits (teammates' pulls)? */
  private broughtInByGit(file: FileId, base: DiskState, hunks: readonly Hunk[]): boolean {
    const version = versionVector(base.version!);
    let removes = false;
    for (const h of hunks) {
      if (h.deleteCount === 0) continue;
      removes = true;
      for (const author of this.replica.authorsAt(file, version, h.offset, h.offset + h.deleteCount)) if (!author.startsWith('git~')) return false;
    }
    return removes;
  }

  /**
   * The pull a checkout waited for (record pending 'git') has landed, perhaps with more
   * commits than teammates brought in. The share holds the file at some commit of the
   * way (teammates' Git edits): from that commit on, the rest is shared as Git edits, made
   * at the share's version as a teammate at that commit would make them, so they land once.
   */
  private async takeInPullAfterWait(batch: LocalBatch, rec: MirrorRecord, d: DiskText): Promise<void> {
    const git = this.init.git!;
    const shared = this.replica.text(rec.file);
    const commits = await git.commitsChanging(rec.path, rec.head!, this.head!.commit).catch(() => []);
    let from = commits.length;
    while (from > 0 && (await git.text(rec.path, commits[from - 1]!).catch(() => undefined)) !== shared) from--;
    // No commit of the way holds the share's text: one step from it to the disk's.
    const rest = from > 0 ? commits.slice(from) : [];
    await this.takeInGitEdit(batch, rec, this.replica.versionOf(rec.file), shared, rest, d);
  }

  /**
   * Git brought commits in: their change made as Git edits, one per commit that changed
   * the file (first parents, oldest first), each at the version the one before left — so
   * every member who moves from the same commit to the same commit makes the same
   * operations, whether they pulled the commits one by one or all at once, and they land
   * once.
   */
  private async takeInGitEdit(batch: LocalBatch, rec: MirrorRecord, version: VersionVector, before: string, commits: readonly string[], d: DiskText, previous?: DiskState): Promise<void> {
    const git = this.init.git!;
    const after = new Map(version);
    const steps: string[] = [];
    let from = before;
    for (const commit of commits) {
      const text = await git.text(rec.path, commit).catch(() => undefined);
      if (text !== undefined && text !== from) steps.push(text);
      if (text !== undefined) from = text;
    }
    if (from !== d.text) steps.push(d.text); // the path's history is not a line from there (a reset, a merge): one step
    from = before;
    for (const text of steps) {
      // Pieces under the commit budget, each a Git edit of its own, made the same way by every member.
      for (const edit of gitEditPieces(rec.file, new Map(after), diffHunks(from, text), batch.room)) {
        this.replica.gitEdit(edit);
        after.set(gitEditAuthor(edit), idsOf(edit.hunks));
        batch.addStaged(edit.hunks.reduce((n, h) => n + h.insert.length + 16, 64));
        await batch.flushIfFull();
      }
      from = text;
    }
    this.remember(d.hash, d.text);
    batch.record({ set: { path: rec.path, file: rec.file, kind: 'text', hash: d.hash, size: d.stat.size, mtimeMs: d.stat.mtimeMs, version: saved(after), pending: 'commit', ...(previous ? { previous } : {}), ...this.headField() } });
    this.init.log(`${rec.path}: Git brought in ${this.head!.commit.slice(0, 8)}; shared as Git's change (it lands once, whoever else brings it in)`);
  }

  private headField(): { head?: string } {
    return this.head ? { head: this.head.commit } : {};
  }

  /** A writer's edit of a tracked file: the change from its base, made at the base's version. */
  private async takeInEdit(batch: LocalBatch, rec: MirrorRecord, base: DiskState, d: DiskText): Promise<void> {
    const version = versionVector(base.version!);
    const hunks = diffHunks(this.baseText(rec.file, base), d.text);
    await this.stageHunks(batch, rec.file, version, hunks);
    this.remember(d.hash, d.text);
    batch.record({ set: this.recordAfterEdit(rec.path, rec.file, version, d, base) });
  }

  /**
   * The record after staging an edit made at `version`: the disk's text is the text at
   * that version plus our own new operations (editAt made them all at that version).
   */
  private recordAfterEdit(path: string, file: FileId, version: VersionVector, d: DiskText, previous: DiskState | undefined): MirrorRecord {
    const me = this.replica.meAgent();
    const after = new Map(version);
    const mine = this.replica.versionOf(file).get(me);
    if (mine !== undefined) after.set(me, mine);
    return { path, file, kind: 'text', hash: d.hash, size: d.stat.size, mtimeMs: d.stat.mtimeMs, version: saved(after), pending: 'commit', ...(previous ? { previous: stateOnly(previous) } : {}), ...this.headField() };
  }

  /** Stages `hunks` (in the coordinates of the text at `version`), committing in pieces under the budget. */
  private async stageHunks(batch: LocalBatch, file: FileId, version: VersionVector, hunks: readonly Hunk[]): Promise<void> {
    // From the last to the first: each edit is made at `version`, so earlier offsets stay valid.
    for (let i = hunks.length - 1; i >= 0; i--) {
      const h = hunks[i]!;
      const room = batch.room;
      if (h.insert.length <= room) {
        this.replica.editAt(file, version, [h]);
        batch.addStaged(h.insert.length + 16);
      } else {
        // A large insert: its first piece made at `version`, the rest typed after it, piece by piece.
        let last = lastInserted(this.replica.editAt(file, version, [{ offset: h.offset, deleteCount: h.deleteCount, insert: h.insert.slice(0, room) }]));
        batch.addStaged(room);
        let done = room;
        while (done < h.insert.length && last) {
          await batch.flushIfFull();
          const piece = h.insert.slice(done, done + batch.room);
          const at = this.replica.document(file).offsetOf({ id: last, bias: 'before' });
          last = lastInserted(this.replica.editAt(file, this.replica.versionOf(file), [{ offset: at, deleteCount: 0, insert: piece }]));
          batch.addStaged(piece.length);
          done += piece.length;
        }
      }
      await batch.flushIfFull();
    }
  }

  /** A file on disk at an entry's path that no record describes (a join, or a concurrent create). */
  private async takeInUntracked(batch: LocalBatch, path: string, d: DiskText, file: FileId, created: NewFile[]): Promise<void> {
    const share = this.replica.text(file);
    const record = (version: VersionVector, text: DiskText): MirrorRecord => ({ path, file, kind: 'text', hash: text.hash, size: text.stat.size, mtimeMs: text.stat.mtimeMs, version: saved(version), ...this.headField() });
    if (d.text === share) {
      batch.record({ set: record(this.replica.versionOf(file), d) });
      this.summary.adopted++;
      return;
    }
    const older = this.replica.findVersionWithText(file, d.text);
    if (older) {
      // An older copy of the share's file: it counts as unchanged, and the newer text is written over it.
      batch.record({ set: record(older, d) });
      this.remember(d.hash, d.text);
      this.summary.updated++;
      this.init.log(`${path} held an older version of the share's file: updated`);
      return;
    }
    const gitText = this.init.git ? await this.init.git.text(path).catch(() => undefined) : undefined;
    if (gitText !== undefined && gitText === d.text) {
      // As the member's clone has it at HEAD, with no changes of theirs: the share's newer text goes over it.
      batch.record({ set: record(this.replica.versionOf(file), d) });
      this.remember(d.hash, d.text);
      this.summary.updated++;
      return;
    }
    if (gitText !== undefined && this.canWrite()) {
      // Changed since HEAD: those changes merge with the share's, HEAD as the base — at the
      // share's version of that text when it had one, else as a three-way text merge.
      const common = this.replica.findVersionWithText(file, gitText);
      if (common) {
        await this.stageHunks(batch, file, common, diffHunks(gitText, d.text));
        batch.record({ set: this.recordAfterEdit(path, file, common, d, undefined) });
      } else {
        const version = this.replica.versionOf(file);
        await this.stageHunks(batch, file, version, rebaseOnto(gitText, d.text, share));
        // The disk's text stands for the merge until it is written over; a crash before the
        // commit leaves a version the document lacks, and the merge is made again.
        batch.record({ set: this.recordAfterEdit(path, file, version, d, undefined) });
      }
      this.summary.merged++;
      this.init.log(`${path}: your changes since Git's HEAD are merged with the share's`);
      return;
    }
    if (this.canWrite()) {
      // No common version: both stay, the manifest shows them side by side. Where a file
      // turns up beside the share's while the mirror runs, it keeps its path and the
      // teammate's goes beside it (nothing on disk is replaced); a joiner's copy goes
      // beside the share's (a teammate's newer text stays where everyone expects it).
      const order = this.joining ? 'after' : 'before';
      created.push({ path, ...d, beside: { file, order } });
      this.summary.keptBeside++;
      this.init.log(
        order === 'after'
          ? `${path} differs from the share's file with no common version: both are kept, yours beside the share's`
          : `${path} is your own file, and a teammate shared another at that path: both are kept, theirs beside yours`,
      );
    }
    // A reader's file stays; write-out puts the share's text beside it.
  }

  /**
   * Recorded files gone from disk whose text is in a new file, edited (similar-text.ts):
   * the entry is renamed, and the edit is taken in from the text the disk last agreed
   * with, at that version, so a teammate's concurrent edit of the file lands in the moved
   * file (taken as a delete and a new file, the edit would keep the old file: its lines
   * twice). Returns the records that stay gone.
   */
  private async takeInMoves(batch: LocalBatch, gone: readonly MirrorRecord[], created: NewFile[]): Promise<MirrorRecord[]> {
    const candidates = created.filter((c) => !c.beside && !this.textEntry(c.path));
    const texts = gone.map((rec) => this.moveBases(rec).map((s) => this.baseText(rec.file, s)));
    const moved = new Set<MirrorRecord>();
    for (const [i, j] of pairMoves(texts, candidates.map((c) => c.text))) {
      const rec = gone[i]!;
      const to = candidates[j]!;
      const base = this.baseOfEdit(rec, to);
      if (!base?.version) continue;
      this.renameEntry(batch, rec, to.path);
      await this.takeInEdit(batch, { ...rec, path: to.path }, base, to);
      created.splice(created.indexOf(to), 1);
      this.missingSince.delete(rec.path);
      moved.add(rec);
      this.init.log(`renamed ${rec.path} -> ${to.path} (and edited)`);
    }
    return gone.filter((rec) => !moved.has(rec));
  }

  /**
   * The entry's file moved to `path` (a person's move): the share renames the entry. Not
   * to the entry's own conflict name: there the mirror itself moved it (beside a
   * teammate's file at its path), and a crash came before the record of it; the record
   * just follows (a replica that lost the teammate's file with the crash moves it back,
   * and again when that file arrives), and the entry keeps its path.
   */
  private renameEntry(batch: LocalBatch, rec: MirrorRecord, path: string): void {
    if (path === conflictPath(rec.path, conflictTag(rec.file), false) || path === conflictPath(rec.path, rec.file, false)) return;
    this.replica.renameFile(rec.file, path);
    batch.addStaged(path.length + 64);
  }

  /**
   * The record of `file` when it names another path than `path` and no file is there:
   * the file at `path`, where the share shows that entry, is that file moved (by the
   * mirror, beside a teammate's file, with a crash before the record of it; or by a
   * person to just that name).
   */
  private async leftBehind(file: FileId, path: string): Promise<MirrorRecord | undefined> {
    const rec = this.init.records.ofFile(file);
    if (!rec || rec.kind !== 'text' || rec.path === path) return undefined;
    return (await this.statOf(rec.path)) === undefined ? rec : undefined;
  }

  /**
   * The record follows its file to `path` (see leftBehind), and what changed on disk
   * since the disk last agreed is an edit, merged three ways like any other (taken as a
   * file of its own, it would hold the entry's lines a second time). False: no base to
   * merge from (the file is then taken as found).
   */
  private async followMove(batch: LocalBatch, rec: MirrorRecord, path: string, d: DiskText): Promise<boolean> {
    const base = this.baseOfEdit(rec, d);
    if (!base?.version) return false;
    this.missingSince.delete(rec.path);
    if (base.hash === d.hash) batch.record({ set: { ...settle(rec, base, d.stat), path } });
    else if (this.canWrite()) await this.takeInEdit(batch, { ...rec, path }, base, d);
    else return false;
    this.init.log(`${rec.path} is at ${path} now`);
    return true;
  }

  /** The states a gone file may have held when it was moved, each with a version the document holds. */
  private moveBases(rec: MirrorRecord): DiskState[] {
    const doc = this.replica.versionOf(rec.file);
    const states = rec.pending === 'write' ? [rec, rec.previous] : [this.effective(rec, undefined)];
    return states.filter((s): s is DiskState => s?.version !== undefined && holds(doc, s.version));
  }

  /** A new entry with the disk's text (in pieces under the budget); its record follows. */
  private async createEntry(batch: LocalBatch, c: NewFile): Promise<void> {
    const first = c.text.slice(0, batch.room);
    const file = this.replica.createFile(c.path, 'text', first, { createdAt: c.stat.mtimeMs, ...(c.beside ? { beside: c.beside } : {}) }) as FileId;
    batch.addStaged(first.length + c.path.length + 64);
    let done = first.length;
    while (done < c.text.length) {
      await this.flushPartial(batch, c.path, file, c.text.slice(0, done));
      const piece = c.text.slice(done, done + batch.room);
      this.replica.edit(file, done, 0, piece);
      batch.addStaged(piece.length);
      done += piece.length;
    }
    this.remember(c.hash, c.text);
    batch.record({ set: { path: c.path, file, kind: 'text', hash: c.hash, size: c.stat.size, mtimeMs: c.stat.mtimeMs, version: saved(this.replica.versionOf(file)), ...this.headField() } });
    this.init.log(`added ${c.path}`);
  }

  /** Commits a new file's first part, with a record saying the share holds that much (a crash resumes from there). */
  private async flushPartial(batch: LocalBatch, path: string, file: FileId, soFar: string): Promise<void> {
    if (!batch.full) return;
    batch.record({ set: { path, file, kind: 'text', hash: hashOfText(soFar), size: -1, mtimeMs: -1, version: saved(this.replica.versionOf(file)) } });
    await batch.flush();
  }

  /** A reader typed: their text goes beside the file, and the file takes the share's text again. */
  private async keepReaderEdit(rec: MirrorRecord, d: DiskText): Promise<void> {
    const path = rec.path;
    let copy = unsharedCopyPath(path);
    for (let n = 2; (await this.statOf(copy)) !== undefined; n++) copy = unsharedCopyPath(`${path.replace(/(\.[^./]*)?$/, ` ${n}$1`)}`);
    await this.init.folder.write(copy, bytesOf(d.text));
    const text = this.replica.text(rec.file);
    await this.writeText(path, rec.file, text, hashOfText(text), rec, d.stat);
    this.init.log(`you are a reader of this share: your edit of ${path} is not shared; it is kept in ${copy}, and ${path} shows the share's text again`);
  }

  /** Writes the share's text of `entry` at its path, moving the file first if the entry moved. Returns a delay to retry after, if any. */
  private async writeOut(entry: ManifestEntry, rec: MirrorRecord | undefined, listing: ReadonlyMap<string, FileStat>): Promise<number | undefined> {
    const file = entry.file as FileId;
    const folder = this.init.folder;
    let target = entry.path;
    let current = rec;
    if (current && current.path !== target) {
      // The entry moved (a teammate's rename, or a conflict name): move the file if it is as we left it.
      const stat = listing.get(current.path) ?? (await this.statOf(current.path));
      if (stat && (sameStat(stat, current) || (await this.hashAt(current.path)) === current.hash)) {
        if (await folder.rename(current.path, target).catch(() => false)) {
          await this.init.records.commit([{ set: { ...current, path: target } }]);
          this.init.log(`moved ${current.path} -> ${target}`);
          current = this.init.records.at(target);
        } else if (!(await this.statOf(current.path))) {
          // Gone since the listing (a person moved or deleted it during this pass): the next
          // pass sees where it went. Writing the share's text at the new path now would make
          // a second copy beside the person's.
          return 0;
        }
      } else if (!stat) {
        await this.init.records.commit([{ forget: current.path }]);
        current = undefined;
      } else return 0; // changed on disk and not taken in yet
    }
    const text = this.replica.text(file);
    const hash = hashOfText(text);
    let stat: FileStat | undefined;
    try {
      stat = await folder.stat(target);
    } catch (err) {
      this.warnOnce(`${target}\n${message(err)}`, `not writing ${target}: ${message(err)}`);
      return undefined;
    }
    const here = this.init.records.at(target);
    if (stat) {
      if (here?.file !== file) {
        if (here) return 0; // another entry's file is still here: it moves first
        if (this.canWrite()) return undefined; // untracked: step 2 takes it in
        // A reader's own file: the share's text goes beside it.
        target = conflictPath(entry.path, file.slice(0, 8), false);
        if (this.init.records.at(target)?.file === file && (await this.statOf(target))) return this.rewriteIfStale(target, file, text, hash);
        if (await this.statOf(target)) return undefined;
        this.init.log(`${entry.path} is your own file: the share's is written beside it, as ${target}`);
      } else {
        return this.rewriteIfStale(target, file, text, hash);
      }
    }
    if (listing.has(target) && here?.file === file && here.pending !== 'write' && this.canWrite()) {
      // This pass listed it and its record says the disk held it: a person moved or
      // deleted it during the pass. The next pass sees it missing (a rename, or a delete
      // after its grace); writing the share's text back now would make a second copy.
      return 0;
    }
    return this.writeText(target, file, text, hash, here?.file === file ? here : undefined, 'absent');
  }

  /** The file at `path` is this entry's: rewritten if the share's text differs, unless it changed meanwhile. */
  private async rewriteIfStale(path: string, file: FileId, text: string, hash: string): Promise<number | undefined> {
    const rec = this.init.records.at(path)!;
    if (rec.pending === 'git') return undefined; // waiting for the member's pull
    const stat = await this.statOf(path);
    const onDisk = stat && sameStat(stat, rec) ? rec.hash : await this.hashAt(path);
    if (onDisk === hash) {
      if (rec.hash !== hash || !sameStat(stat, rec) || !this.settledRecord(rec)) {
        await this.init.records.commit([{ set: { path, file, kind: 'text', hash, size: stat!.size, mtimeMs: stat!.mtimeMs, version: saved(this.replica.versionOf(file)), ...this.headField() } }]);
      }
      return undefined;
    }
    if (onDisk !== (this.effective(rec, onDisk)?.hash ?? rec.hash)) return 0; // edited since the last pass: taken in first
    return this.writeText(path, file, text, hash, rec, stat!);
  }

  /**
   * Record first (pending, with what was there before), then the file, written only if
   * it is still as last seen (`expected`); then the record is settled, or put back when
   * someone wrote the file meanwhile (their text is taken in by the next pass).
   */
  private async writeText(path: string, file: FileId, text: string, hash: string, previous: MirrorRecord | undefined, expected: FileStat | 'absent'): Promise<number | undefined> {
    const bytes = bytesOf(text);
    const version = saved(this.replica.versionOf(file));
    const intent: MirrorRecord = { path, file, kind: 'text', hash, size: bytes.length, mtimeMs: -1, version, pending: 'write', ...(previous ? { previous: stateOnly(previous) } : {}), ...this.headField() };
    await this.init.records.commit([{ set: intent }]);
    this.init.beforeWrite?.(path);
    let stat: FileStat | undefined;
    try {
      stat = await this.init.folder.write(path, bytes, expected);
    } catch (err) {
      this.warnOnce(`${path}\n${message(err)}`, `not writing ${path}: ${message(err)}`);
    }
    if (!stat) {
      await this.init.records.commit([previous ? { set: previous } : { forget: path }]);
      return stat === undefined ? 0 : undefined;
    }
    this.remember(hash, text);
    await this.init.records.commit([{ set: { path, file, kind: 'text', hash, size: stat.size, mtimeMs: stat.mtimeMs, version, ...this.headField() } }]);
    this.init.log(`wrote ${path}`);
    return undefined;
  }

  private async statOf(path: string): Promise<FileStat | undefined> {
    try {
      return await this.init.folder.stat(path);
    } catch {
      return undefined;
    }
  }

  private async hashAt(path: string): Promise<string | undefined> {
    try {
      const bytes = await this.init.folder.read(path);
      return bytes && hashOf(bytes);
    } catch {
      return undefined;
    }
  }

  /** The names of who deleted `file` lately. */
  private deleters(file: FileId): string {
    const names = [...new Set(this.replica.deletersOf(file).map((d) => (d.mine ? 'you' : d.name)))];
    return names.join(' and ') || 'a teammate';
  }

  /**
   * A delete that a concurrent edit overrode (the entry stays): the member who deleted and
   * the others are told once, naming who deleted it. Those already there at the first full
   * pass (told before a restart) are not told again.
   */
  private reportOverriddenDeletes(entry: ManifestEntry, silently: boolean): void {
    for (const d of this.replica.deletersOf(entry.file as FileId)) {
      const key = `overridden\n${d.commit}\n${entry.file}`;
      if (silently) this.warned.add(key);
      else this.warnOnce(key, d.mine ? `${entry.path}: you deleted it while a teammate edited it; the edit keeps it, so it is back` : `${entry.path} was deleted by ${d.name} while it was edited: the edit keeps it, so it stays`);
    }
  }

  /** Says something once per key (a refusal that every pass would repeat). */
  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.init.log(line);
  }

  private reportSummary(): void {
    const s = this.summary;
    if (s.adopted + s.updated + s.merged + s.keptBeside === 0) return;
    this.init.log(`files already in the folder: ${s.adopted} equal to the share's (adopted), ${s.updated} older copies (updated), ${s.merged} merged with your changes, ${s.keptBeside} kept beside`);
    this.summary = { adopted: 0, updated: 0, merged: 0, keptBeside: 0 };
  }
}

/** The id of the last character an edit's operations insert. */
function lastInserted(ops: readonly TextOp[]): Id | undefined {
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (op.kind === 'insert' && op.text.length > 0) return { agent: op.agent, seq: op.seq + op.text.length - 1 };
  }
  return undefined;
}

/** A record made certain: the state that holds (`base`), at the stat now on disk, nothing pending. */
function settle(rec: MirrorRecord, base: DiskState, stat: FileStat): MirrorRecord {
  return { path: rec.path, file: rec.file, kind: rec.kind, ...stateOnly(base), size: stat.size, mtimeMs: stat.mtimeMs, ...(rec.head ? { head: rec.head } : {}) };
}

/**
 * A Git change's hunks as Git edits of about `room` units of inserted text each: small
 * hunks grouped at `version`; a hunk larger than that as a chain, each part made at the
 * version that holds the parts before it (so every member cuts and orders it alike).
 */
function gitEditPieces(file: FileId, version: VersionVector, hunks: readonly Hunk[], room: number): GitEdit[] {
  const edits: GitEdit[] = [];
  let group: Hunk[] = [];
  let size = 0;
  const close = (): void => {
    if (group.length) edits.push({ file, version, hunks: group });
    group = [];
    size = 0;
  };
  for (const h of hunks) {
    if (h.insert.length <= room) {
      if (group.length && size + h.insert.length > room) close();
      group.push(h);
      size += h.insert.length;
      continue;
    }
    let at = version;
    let offset = h.offset;
    let deleteCount = h.deleteCount;
    for (let from = 0; from < h.insert.length; ) {
      let to = Math.min(h.insert.length, from + room);
      const c = h.insert.charCodeAt(to - 1);
      if (to < h.insert.length && c >= 0xd800 && c <= 0xdbff) to--; // a surrogate pair stays whole
      const edit: GitEdit = { file, version: at, hunks: [{ offset, deleteCount, insert: h.insert.slice(from, to) }] };
      edits.push(edit);
      at = new Map(at).set(gitEditAuthor(edit), idsOf(edit.hunks));
      offset += to - from;
      deleteCount = 0;
      from = to;
    }
  }
  close();
  return edits;
}

/** Ids a Git edit's author takes: one per character deleted or inserted. */
function idsOf(hunks: readonly Hunk[]): number {
  return hunks.reduce((n, h) => n + h.deleteCount + h.insert.length, 0);
}

function stateOnly(s: DiskState): DiskState {
  return { hash: s.hash, size: s.size, mtimeMs: s.mtimeMs, ...(s.version ? { version: s.version } : {}), ...(s.ref ? { ref: s.ref } : {}), ...(s.head ? { head: s.head } : {}) };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
