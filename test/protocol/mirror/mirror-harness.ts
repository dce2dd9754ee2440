/**
 * Members of one share, each with a folder in memory and the real FolderMirror over it:
 * people write files, members go offline and come back, mirrors stop (as in a crash:
 * whatever was not durable is gone) and start again over the same folder and records.
 * Commits travel through the share harness's Network (every replica can be given any
 * subset, in any order).
 */
import type { CommitEnvelope } from '../../../protocol/src/log/commit.js';
import type { ShareReplica } from '../../../protocol/src/share/replica.js';
import { FolderMirror, type MirrorClock } from '../../../protocol/mirror/folder-mirror.js';
import { MemoryFolder } from '../../../protocol/mirror/memory-folder.js';
import { MemoryRecordJournal, MirrorRecords } from '../../../protocol/mirror/mirror-records.js';
import type { MirrorGit } from '../../../protocol/mirror/text-mirror.js';
import type { Network } from '../share/harness.js';

/** Virtual time: timers never fire by themselves; tests run passes and move the clock. */
export class ManualClock implements MirrorClock {
  time = 1_000_000;
  now(): number {
    return this.time;
  }
  setTimeout(): unknown {
    return undefined;
  }
  clearTimeout(): void {}
}

export interface MemberOptions {
  /** Text bytes per commit (small values split changes into many commits). */
  commitBudget?: number;
  gitBase?: (path: string) => Promise<string | undefined>;
  exclude?: string[];
}

export class MirrorMember {
  readonly folder: MemoryFolder;
  readonly journal = new MemoryRecordJournal();
  readonly commits: CommitEnvelope[] = [];
  readonly logs: string[] = [];
  mirror: FolderMirror | undefined;
  /** Offline: its commits are made but not published, and nothing arrives. */
  online = true;
  private unpublished: CommitEnvelope[] = [];

  constructor(
    readonly name: string,
    readonly replica: ShareReplica,
    readonly net: Network,
    readonly clock: ManualClock,
    private readonly options: MemberOptions = {},
  ) {
    this.folder = new MemoryFolder(() => clock.now());
  }

  /** Starts (or restarts) the mirror over the same folder and records; its first pass runs. */
  async start(): Promise<void> {
    const records = await MirrorRecords.open(this.journal);
    this.mirror = new FolderMirror({
      folder: this.folder,
      records,
      replica: this.replica,
      commit: async () => {
        const env = this.replica.flush();
        if (!env) return;
        this.commits.push(env);
        if (this.online) this.net.publish(env);
        else this.unpublished.push(env);
      },
      log: (line) => this.logs.push(line),
      clock: this.clock,
      rescanMs: 1e12,
      ...(this.options.commitBudget !== undefined ? { commitBudget: this.options.commitBudget } : {}),
      ...(this.options.gitBase ? { git: headOnly(this.options.gitBase) } : {}),
      ...(this.options.exclude ? { exclude: () => this.options.exclude! } : {}),
    });
    await this.mirror.start();
  }

  /** Stops the mirror as a crash would (nothing more is written; the folder and records stay). */
  async stop(): Promise<void> {
    await this.mirror?.stop();
    this.mirror = undefined;
  }

  /** A full pass: what people wrote is taken in, what the share holds is written. */
  async sync(): Promise<void> {
    if (!this.mirror) return;
    this.mirror.diskChanged();
    await this.mirror.pass();
  }

  /** Receives everything published that this replica lacks, then runs a pass. */
  async receive(): Promise<void> {
    if (!this.online) return;
    this.net.deliverAll(this.replica);
    this.mirror?.shareChanged('all');
    await this.mirror?.pass();
  }

  goOffline(): void {
    this.online = false;
  }

  /** Back online: what it committed meanwhile is published. */
  comeBack(): void {
    this.online = true;
    for (const env of this.unpublished.splice(0)) this.net.publish(env);
  }

  /** A person acts right after the next pass lists the folder (during that pass). */
  duringNextPass(act: () => Promise<unknown>): void {
    const list = this.folder.list.bind(this.folder);
    this.folder.list = async () => {
      const listing = await list();
      this.folder.list = list;
      await act();
      return listing;
    };
  }

  write(path: string, text: string): void {
    this.folder.put(path, text);
  }

  read(path: string): string | undefined {
    return this.folder.text(path);
  }

  /** path -> text of every file in the folder. */
  files(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const path of [...this.folder.files.keys()].sort()) out[path] = this.folder.text(path)!;
    return out;
  }
}

/** Runs rounds of receive + sync on every online member until their folders stop changing. */
export async function settle(members: readonly MirrorMember[], rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const before = JSON.stringify(members.map((m) => m.files()));
    for (const m of members) await m.sync();
    for (const m of members) await m.receive();
    if (JSON.stringify(members.map((m) => m.files())) === before && i > 0) return;
  }
}

/** A Git working tree that only knows HEAD's texts (a clone at one commit that never moves). */
function headOnly(text: (path: string) => Promise<string | undefined>): MirrorGit {
  return {
    head: async () => ({ commit: 'c0ffee', branch: undefined }),
    text: (path, commit) => (commit === undefined || commit === 'c0ffee' ? text(path) : Promise.resolve(undefined)),
    commitsChanging: async () => [],
  };
}
