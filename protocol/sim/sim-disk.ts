/**
 * A simulated disk that honours fsync: an append is durable, and its promise resolves,
 * only after a simulated fsync (a delay on the node's clock; appends complete in call
 * order). A crash keeps every durable record plus a random prefix of those still being
 * written, as a real log keeps whatever reached the platter up to the torn record it
 * cuts on open; what a crash drops was never acknowledged.
 *
 * One SimDisk per node; it outlives the node's crashes: a restarted node opens its
 * logs again and reads what survived. Logs are named ('share', 'topic/<hex>', ...).
 */
import {
  DEFAULT_MAX_RECORD_BYTES,
  StoreAlreadyOpenError,
  StoreClosedError,
  StoreLockedError,
  checkRecordSizes,
  checkSnapshotCoverage,
  type LoadedLog,
  type LogStore,
} from '../src/ports/log-store.js';
import type { Clock, Random } from '../src/ports/clock.js';

export interface SimDiskInit {
  /** The node's clock: the fsync delays run on it. */
  readonly clock: Clock;
  /** Decides how much of an unfinished write a crash keeps. */
  readonly random: Random;
  /** How long one fsync takes, in ms (asked per append). */
  readonly fsyncMs: () => number;
  /**
   * A disk that lies (a write cache that acknowledges before the platter has the bytes):
   * appends resolve at once but become durable only after the fsync delay. For showing
   * that the simulation's checks catch lost acknowledged writes, never for a real run.
   */
  readonly acknowledgesEarly?: boolean;
}

interface Write {
  readonly records: Uint8Array[];
  readonly snapshot?: { bytes: Uint8Array; coversRecords: number };
  readonly done: () => void;
  readonly failed: (err: unknown) => void;
}

/** One log's bytes on the simulated platter, and the writes still on their way to it. */
class SimLogMedium {
  readonly durable: Uint8Array[] = [];
  snapshot: { bytes: Uint8Array; coversRecords: number } | undefined;
  holder: SimLogStore | undefined;
  readonly writing: Write[] = [];
  /** close() calls waiting for the writes in flight. */
  readonly drained: Array<() => void> = [];
  /** When the last write in flight completes: writes never overtake each other. */
  lastCompletion = 0;

  constructor(readonly name: string) {}
}

export class SimDisk {
  private readonly media = new Map<string, SimLogMedium>();
  /** Incremented by each crash: stores opened before it are dead. */
  private generation = 0;

  constructor(private init: SimDiskInit) {}

  /** After a restart the node has a new clock; the disk stays. */
  attach(clock: Clock): void {
    this.init = { ...this.init, clock };
  }

  /** A store over the named log (a new store object per open, as a process opens a file). */
  log(name: string): SimLogStore {
    let medium = this.media.get(name);
    if (medium === undefined) {
      medium = new SimLogMedium(name);
      this.media.set(name, medium);
    }
    return new SimLogStore(medium, this, this.generation);
  }

  /** Names of the logs whose name starts with `prefix`, sorted. */
  logNames(prefix: string): string[] {
    return [...this.media.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  /** Every durable record of a log (for the checks at the end of a run). */
  durableRecords(name: string): readonly Uint8Array[] {
    return this.media.get(name)?.durable ?? [];
  }

  /** The node died: durable records stay, a random prefix of those in flight lands, the rest is lost. */
  crash(): void {
    this.generation++;
    for (const medium of this.media.values()) {
      const inFlight = medium.writing.splice(0);
      let keep = Math.floor(this.init.random() * (inFlight.reduce((n, w) => n + w.records.length, 0) + 1));
      for (const write of inFlight) {
        if (write.snapshot) continue; // a snapshot is renamed into place whole, or not at all
        const landed = write.records.slice(0, keep);
        medium.durable.push(...landed);
        keep -= landed.length;
      }
      medium.holder = undefined;
      medium.lastCompletion = 0;
      medium.drained.length = 0;
    }
  }

  isCurrent(generation: number): boolean {
    return generation === this.generation;
  }

  get clock(): Clock {
    return this.init.clock;
  }

  fsyncDelay(): number {
    return Math.max(0, this.init.fsyncMs());
  }

  get acknowledgesEarly(): boolean {
    return this.init.acknowledgesEarly ?? false;
  }
}

export class SimLogStore implements LogStore {
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(
    private readonly medium: SimLogMedium,
    private readonly disk: SimDisk,
    private readonly generation: number,
  ) {}

  async open(): Promise<LoadedLog> {
    if (!this.alive()) return never();
    if (this.state === 'open') throw new StoreAlreadyOpenError();
    if (this.state === 'closed') throw new StoreClosedError('it was closed; create a new store to reopen');
    if (this.medium.holder !== undefined) throw new StoreLockedError(this.medium.name, undefined);
    this.medium.holder = this;
    this.state = 'open';
    const snapshot = this.medium.snapshot;
    return {
      records: this.medium.durable.map((r) => r.slice()),
      ...(snapshot ? { snapshot: { bytes: snapshot.bytes.slice(), coversRecords: snapshot.coversRecords } } : {}),
    };
  }

  append(records: readonly Uint8Array[]): Promise<void> {
    if (!this.alive()) return never();
    try {
      this.assertOpen();
      checkRecordSizes(records, DEFAULT_MAX_RECORD_BYTES);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.write({ records: records.map((r) => r.slice()) });
  }

  writeSnapshot(bytes: Uint8Array, coversRecords: number): Promise<void> {
    if (!this.alive()) return never();
    try {
      this.assertOpen();
      checkSnapshotCoverage(coversRecords);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.write({ records: [], snapshot: { bytes: bytes.slice(), coversRecords } });
  }

  async close(): Promise<void> {
    if (!this.alive()) return never();
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    if (this.medium.writing.length > 0) await new Promise<void>((resolve) => this.medium.drained.push(resolve));
    if (this.medium.holder === this) this.medium.holder = undefined;
  }

  /** Queues a write that completes after its fsync, behind the writes before it. */
  private write(parts: { records: Uint8Array[]; snapshot?: { bytes: Uint8Array; coversRecords: number } }): Promise<void> {
    return new Promise<void>((resolve, failed) => {
      const early = this.disk.acknowledgesEarly;
      if (early) resolve();
      const write: Write = { ...parts, done: early ? () => {} : resolve, failed };
      const medium = this.medium;
      medium.writing.push(write);
      const clock = this.disk.clock;
      const completion = Math.max(clock.now() + this.disk.fsyncDelay(), medium.lastCompletion);
      medium.lastCompletion = completion;
      clock.after(completion - clock.now(), () => this.complete(write));
    });
  }

  private complete(write: Write): void {
    if (!this.alive()) return;
    const medium = this.medium;
    // Writes complete in call order: their completion times never decrease.
    const index = medium.writing.indexOf(write);
    for (const next of medium.writing.splice(0, index + 1)) {
      if (next.snapshot) {
        try {
          checkSnapshotCoverage(next.snapshot.coversRecords, medium.durable.length);
          medium.snapshot = next.snapshot;
        } catch (err) {
          next.failed(err);
          continue;
        }
      } else medium.durable.push(...next.records);
      next.done();
    }
    if (medium.writing.length === 0) for (const resolve of medium.drained.splice(0)) resolve();
  }

  private alive(): boolean {
    return this.disk.isCurrent(this.generation);
  }

  private assertOpen(): void {
    if (this.state === 'new') throw new StoreClosedError('open() has not been called');
    if (this.state === 'closed') throw new StoreClosedError('it was closed');
  }
}

/** What a dead process's pending call does: nothing, ever. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}
