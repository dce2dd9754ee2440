/**
 * Commits that arrived before their dependencies wait here, bounded in count and bytes
 * (a missing id costs bytes too: a commit can name hundreds). Each entry belongs to a
 * source (the replica uses the commit's verified author, or one pool for commits on a
 * topic it cannot check yet). When the buffer is full, room is made in the source that
 * holds the most bytes, oldest first: a flood from one source evicts its own commits,
 * never another's; a source that would be the largest by itself is refused instead.
 * Evicted entries are reported, so their senders can be asked again. `wanted()` lists
 * the dependencies to request from peers, oldest first, at most `maxWanted`.
 */
import type { CommitId } from './ids.js';

export interface PendingLimits {
  maxCommits: number;
  maxBytes: number;
  /** At most this many ids in wanted() (default 4,096). */
  maxWanted?: number;
}

/** What one missing id costs in the buffer's indexes, counted against maxBytes. */
export const BYTES_PER_MISSING_ID = 128;

interface Entry<T> {
  readonly item: T;
  readonly size: number;
  readonly missing: Set<CommitId>;
  readonly source: string;
}

interface Source {
  /** Its entries, oldest first. */
  readonly ids: Set<CommitId>;
  bytes: number;
}

export class PendingBuffer<T> {
  private readonly entries = new Map<CommitId, Entry<T>>();
  private readonly waiters = new Map<CommitId, Set<CommitId>>();
  private readonly sources = new Map<string, Source>();
  private bytes = 0;
  private readonly maxWanted: number;

  constructor(private readonly limits: PendingLimits = { maxCommits: 10_000, maxBytes: 64 << 20 }) {
    this.maxWanted = limits.maxWanted ?? 4096;
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: CommitId): boolean {
    return this.entries.has(id);
  }

  /**
   * Holds `item` until every id in `missing` has been resolved. Returns what was evicted
   * to make room, which is `item` itself when its source may not grow.
   */
  hold(id: CommitId, missing: readonly CommitId[], item: T, size: number, source = ''): Array<{ id: CommitId; item: T; source: string }> {
    if (this.entries.has(id)) return [];
    const cost = size + missing.length * BYTES_PER_MISSING_ID;
    const evicted: Array<{ id: CommitId; item: T; source: string }> = [];
    while (this.entries.size >= this.limits.maxCommits || this.bytes + cost > this.limits.maxBytes) {
      const victim = this.largestSource(source, cost);
      const oldest = victim === undefined ? undefined : this.sources.get(victim)?.ids.values().next().value;
      if (oldest === undefined) return [...evicted, { id, item, source }];
      evicted.push({ id: oldest, item: this.drop(oldest)!, source: victim! });
    }
    this.entries.set(id, { item, size: cost, missing: new Set(missing), source });
    this.bytes += cost;
    let held = this.sources.get(source);
    if (!held) this.sources.set(source, (held = { ids: new Set(), bytes: 0 }));
    held.ids.add(id);
    held.bytes += cost;
    for (const m of missing) {
      let w = this.waiters.get(m);
      if (!w) this.waiters.set(m, (w = new Set()));
      w.add(id);
    }
    return evicted;
  }

  /** The items `source` holds here, oldest first. */
  *itemsOf(source: string): Generator<T> {
    for (const id of this.sources.get(source)?.ids ?? []) yield this.entries.get(id)!.item;
  }

  /** `id` is now merged: returns the held items that no longer miss anything (they leave the buffer). */
  resolve(id: CommitId): Array<{ id: CommitId; item: T }> {
    const w = this.waiters.get(id);
    if (!w) return [];
    this.waiters.delete(id);
    const ready: Array<{ id: CommitId; item: T }> = [];
    for (const waiting of w) {
      const e = this.entries.get(waiting);
      if (!e) continue;
      e.missing.delete(id);
      if (e.missing.size === 0) ready.push({ id: waiting, item: this.drop(waiting)! });
    }
    return ready;
  }

  /** Removes an entry (e.g. rejected); returns its item. */
  drop(id: CommitId): T | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    this.entries.delete(id);
    this.bytes -= e.size;
    const held = this.sources.get(e.source);
    if (held) {
      held.ids.delete(id);
      held.bytes -= e.size;
      if (held.ids.size === 0) this.sources.delete(e.source);
    }
    for (const m of e.missing) {
      const w = this.waiters.get(m);
      w?.delete(id);
      if (w && w.size === 0) this.waiters.delete(m);
    }
    return e.item;
  }

  /** Dependencies that are missing and not themselves waiting here, oldest first, at most maxWanted: what to ask peers for. */
  wanted(): CommitId[] {
    const out: CommitId[] = [];
    for (const id of this.waiters.keys()) {
      if (out.length >= this.maxWanted) break;
      if (!this.entries.has(id)) out.push(id);
    }
    return out;
  }

  /** The source holding the most bytes, counting `incoming` as if its entry were in. */
  private largestSource(incoming: string, cost: number): string | undefined {
    let largest: string | undefined;
    let most = -1;
    const incomingBytes = (this.sources.get(incoming)?.bytes ?? 0) + cost;
    if (incomingBytes > most) {
      largest = incoming;
      most = incomingBytes;
    }
    for (const [name, held] of this.sources) {
      if (name !== incoming && held.bytes > most) {
        largest = name;
        most = held.bytes;
      }
    }
    return largest;
  }
}
