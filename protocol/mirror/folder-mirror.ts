/**
 * The one mirror between a member's folder and a share, for `weft peer` and the VS Code
 * extension alike: it runs passes of the text mirror (text-mirror.ts) and the binary
 * mirror, one at a time, when the disk changes (the caller's watcher reports paths),
 * when the share changes (remote commits), and every `rescanMs` as a fallback.
 *
 * A pass is targeted when it can be: a disk event or a remote change names the paths to
 * look at, and only those are stat'ed and read. A full pass lists the whole folder (and
 * reloads the ignore rules); it runs at start, on the periodic rescan, when a folder
 * (not a file) changed, and when a `.gitignore` changed.
 */
import type { FileId } from '../src/share/manifest.js';
import type { ReplicaChange } from '../src/share/replica.js';
import { UnsafePathError, type FileStat, type Folder } from './folder.js';
import { hashOfText, textOf } from './file-bytes.js';
import { IgnoreRules, gitignoreFolders } from './ignore-rules.js';
import type { MirrorRecords } from './mirror-records.js';
import { TextMirror, type MirrorGit, type MirrorReplica } from './text-mirror.js';

/** The binary side (binary-mirror.ts): local binary files to the share, the share's to disk. */
export interface BinaryFiles {
  /** Every binary file on disk (called on full passes only: it detects deletes by absence). */
  ingest(disk: ReadonlyMap<string, FileStat>): Promise<void>;
  writeOut(): Promise<void>;
  /** Is this path a binary file synced unchanged (so a scan need not read it)? */
  knownBinary(path: string, stat: FileStat): boolean;
  stop(): void;
}

/** Timers, injectable (the simulator runs the mirror on virtual time). */
export interface MirrorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: MirrorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The longest delay a timer holds (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface FolderMirrorInit {
  readonly folder: Folder;
  readonly records: MirrorRecords;
  readonly replica: MirrorReplica;
  /** Stores and publishes what the replica staged. */
  commit(): Promise<unknown>;
  log(line: string): void;
  readonly binary?: BinaryFiles;
  /** The member's own exclude globs (gitignore syntax). */
  exclude?(): readonly string[];
  /** Paths an editor has open (its binding owns them). */
  owned?(path: string): boolean;
  /** The member's Git working tree, if the folder is one (git-checkout.ts). */
  readonly git?: MirrorGit;
  /** Git put a file back to HEAD, removing uncommitted text: share that? (text-mirror.ts) */
  confirmRevert?(path: string, removedChars: number): Promise<boolean>;
  /** The checkout went away from the share's branch (its name) or came back (undefined). */
  awayChanged?(branch: string | undefined): void;
  /** Something the member should see now, not only in the log. */
  notice?(text: string): void;
  readonly clock?: MirrorClock;
  /** Full rescan period. Default 2 s; above 2^31 - 1 ms, no rescan. */
  readonly rescanMs?: number;
  readonly commitBudget?: number;
  /** Test hook: called right before the share's text is written to a path (process tests of a crash between merge and write). */
  beforeWrite?(path: string): void;
  /**
   * Has the share's log arrived (a sync with a broker or peer finished since we hold its
   * keys)? A joiner's files are judged against the share's once it has: judged against
   * half a log, a file the share also holds would count as the joiner's own. Default: yes.
   * Waited for at most JOIN_WAIT_MS after our role is known (offline, the join goes on).
   */
  caughtUp?(): boolean;
}

/** How long a joiner's first pass waits for the share's log once its role is known. */
const JOIN_WAIT_MS = 15_000;
/** How often it looks again meanwhile (the runtime's sync ends between passes). */
const JOIN_RECHECK_MS = 250;

export class FolderMirror {
  private readonly text: TextMirror;
  /** When a joiner's role became known while the share's log was still on its way (joinMayStart). */
  private roleKnownAt: number | undefined;
  private readonly clock: MirrorClock;
  private rules = new IgnoreRules(new Map());
  private dirtyPaths = new Set<string>();
  private dirtyFiles = new Set<FileId>();
  private fullPending = true;
  private running: Promise<void> = Promise.resolve();
  private queued = false;
  private timer: unknown;
  private timerAt = Infinity;
  private rescan: unknown;
  private stopped = false;
  private toldRevoked = false;

  constructor(private readonly init: FolderMirrorInit) {
    this.clock = init.clock ?? realClock;
    this.text = new TextMirror({
      folder: init.folder,
      records: init.records,
      replica: init.replica,
      commit: () => init.commit(),
      log: (l) => init.log(l),
      now: () => this.clock.now(),
      ...(init.owned ? { owned: (p: string) => init.owned!(p) } : {}),
      ...(init.git ? { git: init.git } : {}),
      ...(init.confirmRevert ? { confirmRevert: (p: string, n: number) => init.confirmRevert!(p, n) } : {}),
      ...(init.awayChanged ? { awayChanged: (b: string | undefined) => init.awayChanged!(b) } : {}),
      ...(init.notice ? { notice: (t: string) => init.notice!(t) } : {}),
      ...(init.commitBudget !== undefined ? { commitBudget: init.commitBudget } : {}),
      ...(init.beforeWrite ? { beforeWrite: (p: string) => init.beforeWrite!(p) } : {}),
    });
  }

  /** The branch the member's checkout is on while it is not the one the share follows. */
  get away(): string | undefined {
    return this.text.away;
  }

  /** The first (full) pass: edits made while stopped are merged before anything else. */
  async start(): Promise<void> {
    this.text.joining = this.init.records.size === 0;
    await this.pass();
    this.scheduleRescan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.rescan !== undefined) this.clock.clearTimeout(this.rescan);
    this.init.binary?.stop();
    await this.running;
  }

  /** The watcher saw `path` change (undefined: something changed, look everywhere). */
  diskChanged(path?: string): void {
    if (path === undefined || path.endsWith('.gitignore') || path === '') this.fullPending = true;
    else this.dirtyPaths.add(path);
    this.schedule(30);
  }

  /**
   * An editor saved a document it owns (the editor binding shares its edits as they are
   * typed): once the editor lets go of the path, that text on disk is not taken in as an
   * edit. A text equal to the share's is recorded at once, at the share's version.
   */
  async editorSaved(path: string, text: string): Promise<void> {
    const file = this.init.replica.fileAt(path);
    if (file === undefined) return;
    const hash = hashOfText(text);
    if (text === this.init.replica.text(file)) {
      const stat = await this.init.folder.stat(path).catch(() => undefined);
      if (stat) {
        const version = Object.fromEntries(this.init.replica.versionOf(file));
        await this.init.records.commit([{ set: { path, file, kind: 'text', hash, size: stat.size, mtimeMs: stat.mtimeMs, version } }]);
        return;
      }
    }
    this.text.editorSaved(path, hash);
  }

  /** An editor let go of `path` (closed): the mirror looks at it again. */
  editorClosed(path: string): void {
    this.diskChanged(path);
  }

  /** Remote commits changed these entries (their text or path), or anything ('all'). */
  shareChanged(files: readonly FileId[] | 'all'): void {
    if (files === 'all') this.fullPending = true;
    else for (const f of files) this.dirtyFiles.add(f);
    this.schedule(5);
  }

  /** The replica's changes (remote commits): the entries they touch get a targeted pass; members or a reset, a full one. */
  replicaChanged(changes: readonly ReplicaChange[]): void {
    const files: FileId[] = [];
    let all = false;
    for (const c of changes) {
      if (c.type === 'text' || c.type === 'binary') files.push(c.file);
      else if (c.type === 'manifest') files.push(c.change.file);
      else all = true; // members (a role may have changed), or a reset
    }
    this.shareChanged(all ? 'all' : files);
  }

  /** Runs a pass now (after the running one); resolves when the folder and the share agree as far as it saw. */
  pass(): Promise<void> {
    if (this.queued) return this.running;
    this.queued = true;
    this.running = this.running.then(async () => {
      this.queued = false;
      if (this.stopped) return;
      try {
        await this.runPass();
      } catch (err) {
        this.init.log(`mirror: ${err instanceof Error ? err.message : String(err)}`);
        this.schedule(1000);
      }
    });
    return this.running;
  }

  /** Resolves once no pass is running or queued (tests). */
  async settled(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.running) {
      last = this.running;
      await last;
    }
  }

  /** The joiner's first pass may judge its files: the share's log is here, or it waited long enough for it. */
  private joinMayStart(): boolean {
    if (this.init.caughtUp?.() ?? true) return true;
    this.roleKnownAt ??= this.clock.now();
    if (this.clock.now() - this.roleKnownAt < JOIN_WAIT_MS) return false;
    this.init.log('joining without the whole share: no broker or teammate finished sending its log in time; files already in the folder are judged against what arrived');
    return true;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    const at = this.clock.now() + ms;
    if (this.timer !== undefined && at >= this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.pass();
    }, ms);
  }

  private scheduleRescan(): void {
    // A period no timer can hold (import-folder.ts: none) means no rescan; Node would fire it after 1 ms.
    if (this.stopped || (this.init.rescanMs ?? 0) > MAX_TIMER_MS) return;
    this.rescan = this.clock.setTimeout(() => {
      this.fullPending = true;
      void this.pass().then(() => this.scheduleRescan());
    }, this.init.rescanMs ?? 2000);
  }

  private async runPass(): Promise<void> {
    // A revoked member's folder is left as it is: what it wrote (also edits the revocation
    // voided for everyone else) stays on its disk, and nothing more is shared or written.
    const revokedBy = this.init.replica.revokedBy();
    if (revokedBy) {
      if (!this.toldRevoked) this.init.log(`your access to this share was revoked by ${revokedBy.join(' and ')}: nothing you change here is shared any more, and Weft no longer writes to this folder (what you wrote stays as it is)`);
      this.toldRevoked = true;
      return;
    }
    this.toldRevoked = false;
    // A joiner's first pass with keys looks at every file already in the folder (a pass
    // targeted at the files the share just brought would leave the others for later,
    // when they would no longer count as the joiner's: issue 27's order of who goes beside).
    // (Judged once, here: the role can become known while the pass runs, and a pass that
    // began without it did not look at every file.)
    // Until the joiner's own grant has merged, its role is unknown: the commits before it
    // can already show files, and a pass would write them as for a reader (the share's
    // text beside the joiner's own files) and judge the joiner's files against a log that
    // lacks everything up to its grant. The grant's merge is a members change: a full pass.
    if (this.text.joining && this.init.replica.myRole() === undefined) {
      this.fullPending = true;
      return;
    }
    const joiningPass = this.text.joining;
    if (joiningPass && !this.joinMayStart()) {
      this.fullPending = true;
      this.schedule(JOIN_RECHECK_MS);
      return;
    }
    let full = this.fullPending || joiningPass;
    const paths = this.dirtyPaths;
    const files = this.dirtyFiles;
    this.fullPending = false;
    this.dirtyPaths = new Set();
    this.dirtyFiles = new Set();
    let listing: Map<string, FileStat> | undefined;
    let scope: 'all' | Set<string> = 'all';
    if (!full) {
      scope = this.scopeOf(paths, files);
      listing = await this.statPaths(scope);
      if (!listing) full = true;
    }
    if (full) {
      listing = await this.init.folder.list();
      scope = 'all';
      this.rules = await this.loadRules(listing);
    }
    const result = await this.text.pass(listing!, scope, this.rules);
    if (result.away) return; // on another branch than the share: nothing in, nothing out
    // Joining lasts until a pass with keys has judged every file already in the folder: a
    // file that had to wait (written a moment ago) is still the joiner's in the next pass.
    if (joiningPass && full && result.again === undefined) this.text.endJoining();
    // A binary file turned up in a targeted pass: the binary mirror needs a full one.
    if (!full && result.binaries.size > 0) {
      this.fullPending = true;
      this.schedule(0);
    }
    if (full && this.init.binary) {
      for (const [path, stat] of listing!) {
        if (result.binaries.has(path) || this.rules.ignores(path) || this.init.owned?.(path)) continue;
        if (this.init.binary.knownBinary(path, stat)) result.binaries.set(path, stat);
      }
      await this.init.binary.ingest(result.binaries);
      await this.init.commit();
    }
    await this.init.binary?.writeOut();
    if (result.again !== undefined) this.schedule(result.again);
  }

  /** The paths a targeted pass looks at: those the watcher named, and where the changed entries are and were. */
  private scopeOf(paths: ReadonlySet<string>, files: ReadonlySet<FileId>): Set<string> {
    const scope = new Set(paths);
    for (const f of files) {
      const now = this.init.replica.pathOf(f);
      if (now !== undefined) scope.add(now);
      const rec = this.init.records.ofFile(f);
      if (rec) scope.add(rec.path);
    }
    return scope;
  }

  /** Stats of the scope's regular files; undefined when one is a folder (the pass becomes full). */
  private async statPaths(scope: ReadonlySet<string>): Promise<Map<string, FileStat> | undefined> {
    const out = new Map<string, FileStat>();
    for (const path of scope) {
      try {
        const stat = await this.init.folder.stat(path);
        if (stat) out.set(path, stat);
      } catch (err) {
        if (err instanceof UnsafePathError && err.reason === 'not-a-file') return undefined;
        // A link or a protected path: not a file of the share; left out.
      }
    }
    return out;
  }

  private async loadRules(listing: ReadonlyMap<string, FileStat>): Promise<IgnoreRules> {
    const gitignores = new Map<string, string>();
    for (const folder of gitignoreFolders(listing.keys())) {
      const path = folder ? `${folder}/.gitignore` : '.gitignore';
      const bytes = await this.init.folder.read(path).catch(() => undefined);
      const text = bytes && textOf(bytes);
      if (text !== undefined) gitignores.set(folder, text);
    }
    return new IgnoreRules(gitignores, this.init.exclude?.() ?? []);
  }
}
