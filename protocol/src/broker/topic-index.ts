/**
 * What a broker knows of a topic without any content key: the stored envelopes'
 * ids, dependencies and bytes (from the unencrypted envelope header), the latest key
 * boxes per member, and the topic's heads. StreamSource exposes the union of a
 * stream's topics as a SyncSource, so a SyncSession can serve catch-up from it.
 *
 * Heads are kept per topic (ids no commit of the same topic depends on); the heads of
 * a stream are the union of its topics' heads minus ids some topic of the stream
 * depends on (a new epoch's first commit depends on the old topic's heads). Commits
 * may be stored before their dependencies (the broker stores what is validly signed);
 * topological() orders whatever is present dependencies first.
 */
import { toHex } from '../crypto/bytes-util.js';
import type { CommitId } from '../log/ids.js';
import type { SyncSource } from '../sync/index.js';

export interface StoredKeys {
  readonly member: Uint8Array;
  /** The whole KEYS wire message as received (re-sent as is on KEYREQ). */
  readonly message: Uint8Array;
}

interface Entry {
  readonly deps: readonly CommitId[];
  readonly bytes: Uint8Array;
}

export class TopicIndex {
  readonly hex: string;
  private readonly entries = new Map<CommitId, Entry>();
  private readonly referenced = new Set<CommitId>();
  private readonly headSet = new Set<CommitId>();
  /** Referenced ids not stored here. */
  private readonly absent = new Set<CommitId>();
  private readonly keyBoxes = new Map<string, StoredKeys>();
  /** Bytes stored for this topic (commits and key messages, including superseded ones: the log keeps them). */
  storedBytes = 0;
  /** Bumped on every change; caches of derived orders compare it. */
  version = 0;

  constructor(readonly topic: Uint8Array) {
    this.hex = toHex(topic);
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: CommitId): boolean {
    return this.entries.has(id);
  }

  addCommit(id: CommitId, deps: readonly CommitId[], bytes: Uint8Array): boolean {
    if (this.entries.has(id)) return false;
    this.entries.set(id, { deps, bytes });
    this.absent.delete(id);
    for (const d of deps) {
      this.referenced.add(d);
      this.headSet.delete(d);
      if (!this.entries.has(d)) this.absent.add(d);
    }
    if (!this.referenced.has(id)) this.headSet.add(id);
    this.storedBytes += bytes.length;
    this.version++;
    return true;
  }

  setKeys(member: Uint8Array, message: Uint8Array): void {
    this.keyBoxes.set(toHex(member), { member, message });
    this.storedBytes += message.length;
    this.version++;
  }

  keysFor(member: Uint8Array): StoredKeys | undefined {
    return this.keyBoxes.get(toHex(member));
  }

  allKeys(): StoredKeys[] {
    return [...this.keyBoxes.values()];
  }

  deps(id: CommitId): readonly CommitId[] | undefined {
    return this.entries.get(id)?.deps;
  }

  commitBytes(id: CommitId): Uint8Array | undefined {
    return this.entries.get(id)?.bytes;
  }

  heads(): Iterable<CommitId> {
    return this.headSet;
  }

  isReferenced(id: CommitId): boolean {
    return this.referenced.has(id);
  }

  /** Ids this topic's commits depend on that it does not hold (stored out of order, or in another topic). */
  missingDependencies(): Iterable<CommitId> {
    return this.absent;
  }

  ids(): Iterable<CommitId> {
    return this.entries.keys();
  }
}

/** The union of a stream's topics, as the sync protocol sees it. */
export class StreamSource implements SyncSource {
  private cachedOrder: CommitId[] | undefined;
  private cachedVersion = '';

  /** `resolve` returns the stream's topics the broker currently stores (a topic may appear later). */
  constructor(private readonly resolve: () => readonly TopicIndex[]) {}

  private get topics(): readonly TopicIndex[] {
    return this.resolve();
  }

  private find(id: CommitId): TopicIndex | undefined {
    for (const t of this.topics) if (t.has(id)) return t;
    return undefined;
  }

  heads(): CommitId[] {
    const out: CommitId[] = [];
    for (const t of this.topics) {
      for (const h of t.heads()) if (!this.topics.some((o) => o !== t && o.isReferenced(h))) out.push(h);
    }
    return out.sort();
  }

  has(id: CommitId): boolean {
    return this.find(id) !== undefined;
  }

  missingDependencies(): CommitId[] {
    const out: CommitId[] = [];
    for (const t of this.topics) for (const id of t.missingDependencies()) if (!this.has(id)) out.push(id);
    return out.sort();
  }

  deps(id: CommitId): readonly CommitId[] {
    return this.find(id)?.deps(id) ?? [];
  }

  commitBytes(id: CommitId): Uint8Array | undefined {
    return this.find(id)?.commitBytes(id);
  }

  topological(): readonly CommitId[] {
    const version = this.topics.map((t) => `${t.hex}:${t.version}`).join(',');
    if (this.cachedOrder && version === this.cachedVersion) return this.cachedOrder;
    const order: CommitId[] = [];
    const done = new Set<CommitId>();
    // Iterative post-order DFS: dependencies first, without recursion depth limits.
    for (const t of this.topics) {
      for (const root of t.ids()) {
        if (done.has(root)) continue;
        const stack: Array<{ id: CommitId; next: number }> = [{ id: root, next: 0 }];
        done.add(root);
        while (stack.length > 0) {
          const top = stack[stack.length - 1]!;
          const deps = this.deps(top.id);
          if (top.next < deps.length) {
            const d = deps[top.next++]!;
            if (!done.has(d) && this.has(d)) {
              done.add(d);
              stack.push({ id: d, next: 0 });
            }
          } else {
            order.push(top.id);
            stack.pop();
          }
        }
      }
    }
    this.cachedOrder = order;
    this.cachedVersion = version;
    return order;
  }
}
