/**
 * A member with a folder: a SimPeer and the FolderMirror that `weft peer` and the
 * extension run (bin/peer-mirror.ts wires the same), over the member's own MemoryFolder
 * (its disk's files: they survive a crash, as files a person saved do), with the
 * mirror's records on the member's SimDisk (sim-record-journal.ts) and its timers on the
 * node's clock. Text files only: the binary mirror needs a local path to stream from,
 * which a memory folder has not.
 *
 * A crash kills the peer and the mirror together at whatever step the mirror is in:
 * its timers die with the node's clock, its disk writes never complete, and its folder
 * calls made after the crash never run (a killed process does nothing more). A restart
 * opens the share and the records again and starts a new mirror over the same folder.
 */
import { FolderMirror, type MirrorClock } from '../mirror/folder-mirror.js';
import type { FileStat, Folder } from '../mirror/folder.js';
import { MemoryFolder } from '../mirror/memory-folder.js';
import { MirrorRecords } from '../mirror/mirror-records.js';
import type { NodeClock } from './node-clock.js';
import type { SimPeer } from './sim-peer.js';
import { SimRecordJournal } from './sim-record-journal.js';

export class SimMember {
  readonly folder: MemoryFolder;
  mirror: FolderMirror | undefined;
  readonly mirrorLog: string[] = [];
  /** Incremented by each start and crash: a mirror of an older one is dead. */
  private incarnation = 0;

  constructor(
    readonly peer: SimPeer,
    /** Also told every line of the mirror's log (a run's trace). */
    private readonly trace?: (line: string) => void,
  ) {
    this.folder = new MemoryFolder(() => this.peer.nodeClock.now());
  }

  get name(): string {
    return this.peer.name;
  }

  get running(): boolean {
    return this.peer.running && this.mirror !== undefined;
  }

  /** Starts the mirror over the running peer; its first (full) pass runs on the simulation's time. */
  async startMirror(): Promise<void> {
    const runtime = this.peer.runtime;
    if (runtime === undefined) throw new Error(`${this.name} is not running`);
    const generation = ++this.incarnation;
    const alive = (): boolean => this.incarnation === generation;
    const records = await MirrorRecords.open(new SimRecordJournal(this.peer.disk));
    const mirror = new FolderMirror({
      folder: new LivingFolder(this.folder, alive),
      records,
      replica: runtime.node.replica,
      commit: () => this.peer.commit(),
      log: (line) => {
        this.mirrorLog.push(line);
        this.trace?.(`${this.name}: ${line}`);
      },
      clock: mirrorClock(this.peer.nodeClock),
    });
    runtime.on('changes', (changes) => mirror.replicaChanged(changes));
    this.mirror = mirror;
    void mirror.start();
  }

  /** A person saved `path` (or removed it): the watcher tells the mirror, if it runs. */
  diskChanged(path: string): void {
    this.mirror?.diskChanged(path);
  }

  crash(): void {
    this.trace?.(`${this.name}: crashed`);
    this.incarnation++;
    this.mirror = undefined;
    this.peer.crash();
  }

  async restart(): Promise<void> {
    await this.peer.restart();
    await this.startMirror();
  }
}

/** The mirror's timers on the node's clock (they die with it). */
function mirrorClock(clock: NodeClock): MirrorClock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.after(ms, fn),
    clearTimeout: (cancel) => (cancel as () => void)(),
  };
}

/** A folder as one mirror incarnation sees it: after its process died, its calls never return. */
class LivingFolder implements Folder {
  constructor(
    private readonly folder: Folder,
    private readonly alive: () => boolean,
  ) {}

  list(): Promise<Map<string, FileStat>> {
    return this.alive() ? this.folder.list() : never();
  }
  read(path: string): Promise<Uint8Array | undefined> {
    return this.alive() ? this.folder.read(path) : never();
  }
  stat(path: string): Promise<FileStat | undefined> {
    return this.alive() ? this.folder.stat(path) : never();
  }
  write(path: string, bytes: Uint8Array, expected?: FileStat | 'absent'): Promise<FileStat | undefined> {
    return this.alive() ? this.folder.write(path, bytes, expected) : never();
  }
  remove(path: string): Promise<void> {
    return this.alive() ? this.folder.remove(path) : never();
  }
  rename(from: string, to: string): Promise<boolean> {
    return this.alive() ? this.folder.rename(from, to) : never();
  }
  pathForRead(path: string): Promise<string> {
    return this.alive() ? this.folder.pathForRead(path) : never();
  }
  pathForWrite(path: string): Promise<string> {
    return this.alive() ? this.folder.pathForWrite(path) : never();
  }
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}
