/**
 * A CommitGraph-backed replica with synthetic commits for the sync tests:
 * encoding = u8 dep count, deps (32 bytes each), payload; id = BLAKE3(encoding).
 * merge() buffers commits whose dependencies are missing, like the real replica.
 */
import { hash } from '../../../protocol/src/crypto/index.js';
import { CommitGraph } from '../../../protocol/src/log/graph.js';
import { commitIdFromBytes, commitIdToBytes, type CommitId } from '../../../protocol/src/log/ids.js';
import type { SyncReplica } from '../../../protocol/src/sync/index.js';
import { prng } from '../../../protocol/sim/prng.js';

export { prng };

export function encodeFakeCommit(deps: readonly CommitId[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + 32 * deps.length + payload.length);
  out[0] = deps.length;
  deps.forEach((d, i) => out.set(commitIdToBytes(d), 1 + 32 * i));
  out.set(payload, 1 + 32 * deps.length);
  return out;
}

function fakeDeps(bytes: Uint8Array): CommitId[] {
  const n = bytes[0]!;
  const deps: CommitId[] = [];
  for (let i = 0; i < n; i++) deps.push(commitIdFromBytes(bytes.subarray(1 + 32 * i, 33 + 32 * i)));
  return deps;
}

export class FakeReplica implements SyncReplica {
  readonly graph = new CommitGraph();
  private readonly encodings = new Map<CommitId, Uint8Array>();
  private readonly pending = new Map<CommitId, { bytes: Uint8Array; missing: Set<CommitId> }>();
  private readonly waiters = new Map<CommitId, Set<CommitId>>();
  merges = 0;

  heads(): CommitId[] {
    return this.graph.heads();
  }
  has(id: CommitId): boolean {
    return this.graph.has(id);
  }
  deps(id: CommitId): readonly CommitId[] {
    return this.graph.deps(id);
  }
  topological(): readonly CommitId[] {
    return this.graph.topological();
  }
  commitBytes(id: CommitId): Uint8Array | undefined {
    return this.encodings.get(id);
  }
  get size(): number {
    return this.graph.size;
  }
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Makes a local commit and returns its id. */
  commit(deps: readonly CommitId[], payload: Uint8Array): CommitId {
    const bytes = encodeFakeCommit([...deps].sort(), payload);
    this.merge(bytes);
    return commitIdFromBytes(hash(bytes));
  }

  merge(bytes: Uint8Array): void {
    this.merges++;
    const id = commitIdFromBytes(hash(bytes));
    if (this.graph.has(id) || this.pending.has(id)) return;
    const deps = fakeDeps(bytes);
    const missing = new Set(deps.filter((d) => !this.graph.has(d)));
    if (missing.size > 0) {
      this.pending.set(id, { bytes, missing });
      for (const d of missing) {
        let w = this.waiters.get(d);
        if (!w) this.waiters.set(d, (w = new Set()));
        w.add(id);
      }
      return;
    }
    const ready = [{ id, bytes, deps }];
    while (ready.length > 0) {
      const c = ready.pop()!;
      this.graph.add(c.id, c.deps);
      this.encodings.set(c.id, c.bytes);
      for (const waiter of this.waiters.get(c.id) ?? []) {
        const p = this.pending.get(waiter)!;
        p.missing.delete(c.id);
        if (p.missing.size === 0) {
          this.pending.delete(waiter);
          ready.push({ id: waiter, bytes: p.bytes, deps: fakeDeps(p.bytes) });
        }
      }
      this.waiters.delete(c.id);
    }
  }

  /** Copies every commit of `other` this replica lacks (dependencies first). */
  copyFrom(other: FakeReplica): void {
    for (const id of other.topological()) if (!this.has(id)) this.merge(other.commitBytes(id)!);
  }

  idSet(): Set<CommitId> {
    return new Set(this.topological());
  }
}

export interface GrowOptions {
  /** Concurrent writers, each extending its own branch (default 3). */
  writers?: number;
  /** Chance that a commit also merges another head (default 0.1). */
  mergeChance?: number;
  /** Payload bytes (default 200 +- 20). */
  payloadBytes?: number;
}

/** Adds `n` commits by several simulated writers with occasional merges. */
export function grow(replica: FakeReplica, n: number, rand: () => number, opts: GrowOptions = {}): void {
  const writers = opts.writers ?? 3;
  const mergeChance = opts.mergeChance ?? 0.1;
  const size = opts.payloadBytes ?? 200;
  const start = replica.heads();
  const tips: CommitId[][] = Array.from({ length: writers }, () => (start.length ? [start[Math.floor(rand() * start.length)]!] : []));
  for (let i = 0; i < n; i++) {
    const w = Math.floor(rand() * writers);
    const deps = new Set(tips[w]!);
    if (rand() < mergeChance) {
      const heads = replica.heads();
      if (heads.length > 0) deps.add(heads[Math.floor(rand() * heads.length)]!);
    }
    const payload = new Uint8Array(Math.max(1, size - 20 + Math.floor(rand() * 41)));
    for (let j = 0; j < payload.length; j += 4) {
      const v = (rand() * 4294967296) >>> 0;
      payload[j] = v;
      payload[j + 1] = v >>> 8;
      payload[j + 2] = v >>> 16;
      payload[j + 3] = v >>> 24;
    }
    tips[w] = [replica.commit([...deps], payload)];
  }
}

/** Two replicas with a common history of `base` commits, then `aOnly` and `bOnly` commits apart. */
export function diverged(seed: number, base: number, aOnly: number, bOnly: number, opts: GrowOptions = {}): { a: FakeReplica; b: FakeReplica; forkHeads: CommitId[] } {
  const rand = prng(seed);
  const a = new FakeReplica();
  grow(a, base, rand, opts);
  const b = new FakeReplica();
  b.copyFrom(a);
  const forkHeads = a.heads();
  grow(a, aOnly, rand, opts);
  grow(b, bOnly, rand, opts);
  return { a, b, forkHeads };
}

export function sameSet(a: FakeReplica, b: FakeReplica): boolean {
  if (a.size !== b.size) return false;
  for (const id of a.topological()) if (!b.has(id)) return false;
  return true;
}

/** Total encoded size of the commits `from` has and `to` lacks. */
export function missingBytes(from: FakeReplica, to: FakeReplica): number {
  let n = 0;
  for (const id of from.topological()) if (!to.has(id)) n += from.commitBytes(id)!.length;
  return n;
}
