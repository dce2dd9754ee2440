/**
 * Commits that arrived before their dependencies wait here, bounded in count and
 * bytes. When full, the oldest entry is evicted (and reported, so its sender can be
 * asked again later); `wanted()` lists the dependencies to request from peers.
 */
import type { CommitId } from './ids.js';

export interface PendingLimits {
  maxCommits: number;
  maxBytes: number;
}

interface Entry<T> {
  readonly item: T;
  readonly size: number;
  readonly missing: Set<CommitId>;
}

export class PendingBuffer<T> {
  private readonly entries = new Map<CommitId, Entry<T>>();
  private readonly waiters = new Map<CommitId, Set<CommitId>>();
  private bytes = 0;

  constructor(private readonly limits: PendingLimits = { maxCommits: 10_000, maxBytes: 64 << 20 }) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: CommitId): boolean {
    return this.entries.has(id);
  }

  /** Holds `item` until every id in `missing` has been resolved. Returns what was evicted to make room. */
  hold(id: CommitId, missing: readonly CommitId[], item: T, size: number): Array<{ id: CommitId; item: T }> {
    if (this.entries.has(id)) return [];
    const evicted: Array<{ id: CommitId; item: T }> = [];
    while (this.entries.size > 0 && (this.entries.size >= this.limits.maxCommits || this.bytes + size > this.limits.maxBytes)) {
      const oldest = this.entries.keys().next().value as CommitId;
      evicted.push({ id: oldest, item: this.drop(oldest)! });
    }
    this.entries.set(id, { item, size, missing: new Set(missing) });
    this.bytes += size;
    for (const m of missing) {
      let w = this.waiters.get(m);
      if (!w) this.waiters.set(m, (w = new Set()));
      w.add(id);
    }
    return evicted;
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
    for (const m of e.missing) {
      const w = this.waiters.get(m);
      w?.delete(id);
      if (w && w.size === 0) this.waiters.delete(m);
    }
    return e.item;
  }

  /** Dependencies that are missing and not themselves waiting here: what to ask peers for. */
  wanted(): CommitId[] {
    return [...this.waiters.keys()].filter((id) => !this.entries.has(id)).sort();
  }
}
