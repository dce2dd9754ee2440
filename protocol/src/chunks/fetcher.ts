/**
 * ChunkFetcher: decides which chunks of an object to fetch from which sources. Sans-I/O:
 * it is told what the local store holds and what sources answered, and says what to
 * look up and what to request next. A driver (protocol/runtime/chunk-fetch.ts) does the
 * I/O.
 *
 * Flow: every reference starts as a local lookup (`lookups()`); the driver answers with
 * `local(ref, bytes | 'present' | 'missing')` (tree nodes need their bytes, to learn
 * their children; data chunks only whether they are present). Missing chunks queue for
 * `requests()`, which hands out at most `maxInFlight` at a time (`maxPerSource` per
 * source), each to the least-loaded source not yet known to fail for that chunk.
 * `received()` checks the bytes against the id: a mismatch marks that source bad for
 * that chunk and queues the chunk again for another source; a match is returned for
 * the driver to store. When every source has failed for a chunk, it is `unavailable`.
 *
 * Resuming is a new fetcher over the same store: whatever was stored is found by the
 * lookups, and only what is missing is requested again.
 */
import { type ChunkId, type ObjectRef, matchesId } from './chunk-id.js';
import { openTreeNode } from './object-reader.js';

export type SourceId = string;

export interface ChunkRequest {
  readonly id: ChunkId;
  readonly source: SourceId;
}

export interface FetchProgress {
  /** Plaintext bytes of data chunks stored locally (found or fetched). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Chunks (nodes and data) stored locally, and all chunks known so far. */
  readonly chunksDone: number;
  readonly chunksKnown: number;
  /** Chunks fetched in this run and their stored (ciphertext) bytes. */
  readonly chunksFetched: number;
  readonly bytesFetched: number;
}

export interface ReceiveResult {
  /** True when the bytes match the id: store them. */
  readonly accepted: boolean;
}

export interface ChunkFetcherInit {
  readonly sources: readonly SourceId[];
  readonly maxInFlight?: number;
  readonly maxPerSource?: number;
}

export type LocalLookup = Uint8Array | 'present' | 'missing';

interface Wanted {
  readonly ref: ObjectRef;
  readonly badSources: Set<SourceId>;
}

export class ChunkFetcher {
  private readonly sources: SourceId[];
  private readonly maxInFlight: number;
  private readonly maxPerSource: number;
  private toLookUp: ObjectRef[] = [];
  private readonly lookingUp = new Map<ChunkId, ObjectRef>();
  /** Missing chunks not requested yet, in order. */
  private readonly queue: Wanted[] = [];
  private readonly inFlight = new Map<ChunkId, { wanted: Wanted; source: SourceId }>();
  private readonly load = new Map<SourceId, number>();
  private readonly unavailableIds = new Map<ChunkId, ObjectRef>();
  /** Every distinct chunk id met so far. */
  private readonly known = new Set<ChunkId>();
  private bytesDone = 0;
  private chunksDone = 0;
  private chunksFetched = 0;
  private bytesFetched = 0;
  /** Tree nodes stored or fetched whose children failed to open (wrong key or bad node). */
  readonly corrupt: ChunkId[] = [];

  constructor(
    readonly root: ObjectRef,
    init: ChunkFetcherInit,
  ) {
    this.sources = [...init.sources];
    this.maxInFlight = init.maxInFlight ?? 8;
    this.maxPerSource = init.maxPerSource ?? 4;
    for (const s of this.sources) this.load.set(s, 0);
    this.want(root);
  }

  /** References to look up in the local store (each handed out once). */
  lookups(): ObjectRef[] {
    const out = this.toLookUp;
    this.toLookUp = [];
    for (const r of out) this.lookingUp.set(r.id, r);
    return out;
  }

  /** The answer to one lookup: the node's bytes, 'present' for a data chunk, or 'missing'. */
  local(ref: ObjectRef, found: LocalLookup): void {
    if (!this.lookingUp.delete(ref.id)) return;
    if (found === 'missing' || (found === 'present' && ref.height > 0)) {
      this.queue.push({ ref, badSources: new Set() });
      return;
    }
    this.complete(ref, found === 'present' ? undefined : found);
  }

  /** New requests to send now; each is in flight until received() or failed(). */
  requests(): ChunkRequest[] {
    const out: ChunkRequest[] = [];
    for (let i = 0; i < this.queue.length && this.inFlight.size < this.maxInFlight; ) {
      const wanted = this.queue[i]!;
      const candidates = this.sources.filter((s) => !wanted.badSources.has(s));
      if (candidates.length === 0) {
        this.queue.splice(i, 1);
        this.unavailableIds.set(wanted.ref.id, wanted.ref);
        continue;
      }
      let best: SourceId | undefined;
      for (const s of candidates) if (this.load.get(s)! < this.maxPerSource && (best === undefined || this.load.get(s)! < this.load.get(best)!)) best = s;
      if (best === undefined) {
        i++; // every good source for this chunk is busy: try the next chunk
        continue;
      }
      this.queue.splice(i, 1);
      this.inFlight.set(wanted.ref.id, { wanted, source: best });
      this.load.set(best, this.load.get(best)! + 1);
      out.push({ id: wanted.ref.id, source: best });
    }
    return out;
  }

  /** A source answered a request. Verifies the bytes against the id. */
  received(source: SourceId, id: ChunkId, bytes: Uint8Array): ReceiveResult {
    const entry = this.inFlight.get(id);
    if (entry === undefined || entry.source !== source) return { accepted: false };
    if (!matchesId(id, bytes)) {
      this.failed(source, id);
      return { accepted: false };
    }
    this.release(id, source);
    this.chunksFetched++;
    this.bytesFetched += bytes.length;
    this.complete(entry.wanted.ref, entry.wanted.ref.height > 0 ? bytes : undefined);
    return { accepted: true };
  }

  /** A source could not deliver (does not have it, error, timeout): try another. */
  failed(source: SourceId, id: ChunkId): void {
    const entry = this.inFlight.get(id);
    if (entry === undefined || entry.source !== source) return;
    this.release(id, source);
    entry.wanted.badSources.add(source);
    this.queue.unshift(entry.wanted);
  }

  /** A source disappeared: its in-flight requests go to other sources. */
  removeSource(source: SourceId): void {
    for (const [id, e] of [...this.inFlight]) if (e.source === source) this.failed(source, id);
    const at = this.sources.indexOf(source);
    if (at >= 0) this.sources.splice(at, 1);
    this.load.delete(source);
  }

  addSource(source: SourceId): void {
    if (this.load.has(source)) return;
    this.sources.push(source);
    this.load.set(source, 0);
    for (const [id, ref] of this.unavailableIds) {
      this.unavailableIds.delete(id);
      this.queue.push({ ref, badSources: new Set() });
    }
  }

  /** Chunks no source could deliver (until addSource). */
  get unavailable(): ChunkId[] {
    this.dropHopeless();
    return [...this.unavailableIds.keys()];
  }

  /** True when every chunk of the object is stored locally. */
  get done(): boolean {
    return this.pendingWork() === 0 && this.queue.length === 0 && this.unavailableIds.size === 0 && this.corrupt.length === 0;
  }

  /** True when nothing is in progress or can be requested: done, or stuck on unavailable or corrupt chunks. */
  get settled(): boolean {
    this.dropHopeless();
    return this.pendingWork() === 0 && this.queue.length === 0;
  }

  progress(): FetchProgress {
    return {
      bytesDone: this.bytesDone,
      bytesTotal: this.root.size,
      chunksDone: this.chunksDone,
      chunksKnown: this.known.size,
      chunksFetched: this.chunksFetched,
      bytesFetched: this.bytesFetched,
    };
  }

  /** Queued chunks that every source has failed move to `unavailable`. */
  private dropHopeless(): void {
    for (let i = 0; i < this.queue.length; ) {
      const w = this.queue[i]!;
      if (this.sources.some((s) => !w.badSources.has(s))) i++;
      else {
        this.queue.splice(i, 1);
        this.unavailableIds.set(w.ref.id, w.ref);
      }
    }
  }

  private pendingWork(): number {
    return this.toLookUp.length + this.lookingUp.size + this.inFlight.size;
  }

  /** Further references to a chunk already wanted (repeated content), settled when it completes. */
  private readonly repeats = new Map<ChunkId, ObjectRef[]>();
  private readonly completedData = new Set<ChunkId>();
  /** Children of completed nodes, so that a repeated subtree is counted again without its bytes. */
  private readonly nodeChildren = new Map<ChunkId, ObjectRef[]>();

  private want(ref: ObjectRef): void {
    if (!this.known.has(ref.id)) {
      this.known.add(ref.id);
      this.toLookUp.push(ref);
      return;
    }
    if (this.completedData.has(ref.id) || this.nodeChildren.has(ref.id)) this.repeat(ref);
    else this.repeats.set(ref.id, [...(this.repeats.get(ref.id) ?? []), ref]);
  }

  private complete(ref: ObjectRef, nodeBytes: Uint8Array | undefined): void {
    this.chunksDone++;
    if (ref.height === 0) {
      this.completedData.add(ref.id);
      this.bytesDone += ref.size;
    } else {
      let children: ObjectRef[];
      try {
        children = openTreeNode(ref, nodeBytes!);
      } catch {
        this.corrupt.push(ref.id);
        return;
      }
      this.nodeChildren.set(ref.id, children);
      for (const c of children) this.want(c);
    }
    const more = this.repeats.get(ref.id);
    this.repeats.delete(ref.id);
    for (const r of more ?? []) this.repeat(r);
  }

  private repeat(ref: ObjectRef): void {
    if (ref.height === 0) this.bytesDone += ref.size;
    else for (const c of this.nodeChildren.get(ref.id)!) this.want(c);
  }

  private release(id: ChunkId, source: SourceId): void {
    this.inFlight.delete(id);
    if (this.load.has(source)) this.load.set(source, this.load.get(source)! - 1);
  }
}
