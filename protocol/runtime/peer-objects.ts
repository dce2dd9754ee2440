/**
 * Binary objects for a PeerRuntime: store a file as encrypted chunks, fetch an object's
 * missing chunks from connected peers and brokers, upload our objects' chunks to brokers.
 *
 * - storeObject: bytes, or a file's bytes as an ObjectSource (read a piece at a time,
 *   so memory stays bounded), become content-defined chunks, convergently encrypted
 *   with the share's convergence secret, in a Merkle tree (chunks/object-writer.ts),
 *   stored in the local ChunkStore. The object is then offered to every broker (below).
 * - saveObject: a stored object's bytes into an ObjectSink, committed only when whole.
 *   This file touches no disk: the caller opens the source and the sink
 *   (protocol/src/ports/object-files.ts; the binary mirror, on paths its Folder checked).
 * - fetchObject: ChunkFetcher (through chunk-fetch.ts) over every link that has
 *   said HELLO (brokers and peers): many chunks in flight, every chunk checked against
 *   its id (a tampered one is rejected and asked of another source), progress reported.
 *   When a round ends incomplete (sources lacked chunks or went away), it waits and
 *   tries again with the links of that moment until `timeoutMs`. Interrupted (even by a
 *   crash), a later call fetches only what the store still lacks.
 * - Uploads: on each broker connection and after each storeObject, the chunk ids of
 *   our objects (stored here, or named by the share's binary files and held here) that
 *   this broker has not confirmed go out in signed CHUNKOFFERs; the broker wants what it
 *   lacks, we answer from the store, it confirms with CHUNKHAVE. Confirmations are
 *   remembered per broker key for this run; a restart offers again (the broker
 *   answers with an empty want for what it holds).
 */
import {
  CorruptObjectError,
  ObjectWriter,
  convergenceKeys,
  decodeObjectRef,
  objectChunkIds,
  readObject,
  type ChunkId,
  type ConvergenceKeys,
  type FetchProgress,
  type ObjectRef,
  type SourceId,
} from '../src/chunks/index.js';
import { fromHex, sign, toHex } from '../src/crypto/index.js';
import { chunkOfferSignedBytes, encodeWire, MAX_WANT } from '../src/multicast/wire.js';
import type { ShareReplica } from '../src/share/replica.js';
import type { FrameChannel } from '../src/ports/transport.js';
import type { ChunkStore } from '../src/ports/chunk-store.js';
import type { ObjectSink, ObjectSource } from '../src/ports/object-files.js';
import { fetchObject, type ChunkSource } from './chunk-fetch.js';
import { answerChunkWant, ChunkRequester } from './chunk-transfer.js';
import { ShareKeysMissingError } from './share-keys-missing.js';
import { collectShareGarbage, type PeerGarbageCollectionOptions, type PeerGarbageCollectionReport } from './peer-gc.js';

export { ShareKeysMissingError };

/** No connected peer or broker delivered every chunk in time. Try again once others are online. */
export class ObjectUnavailableError extends Error {
  override readonly name = 'ObjectUnavailableError';
  constructor(
    readonly missingChunks: number,
    readonly progress: FetchProgress,
  ) {
    super(`${missingChunks} chunk(s) of the object could not be fetched from any connected peer or broker (${progress.bytesDone} of ${progress.bytesTotal} bytes here); retry when its author or a broker holding it is online`);
  }
}

export class FetchAbortedError extends Error {
  override readonly name = 'FetchAbortedError';
  constructor() {
    super('the fetch was cancelled');
  }
}

/** Progress of a transfer, for the UI ('transfer' events). */
export interface TransferEvent {
  readonly direction: 'download' | 'upload';
  /** The object's root chunk id. */
  readonly object: ChunkId;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly done: boolean;
  /** Upload: the broker (public key hex) that confirmed the object. */
  readonly broker?: string;
}

export interface FetchObjectOptions {
  readonly onProgress?: (p: FetchProgress) => void;
  readonly signal?: AbortSignal;
  /** Give up (ObjectUnavailableError) after this long without completing. Default 120 s. */
  readonly timeoutMs?: number;
}

export interface ObjectFetchReport extends FetchProgress {
  /** Chunks sources sent that did not match their ids (rejected and fetched elsewhere). */
  readonly rejected: number;
  /** Fetch rounds (a round ends when the connected sources could not deliver everything). */
  readonly rounds: number;
}

/** What PeerObjects needs of a link (PeerRuntime's Link). */
export interface ObjectLink {
  readonly id: string;
  readonly remoteHex: string;
  readonly channel: FrameChannel;
  readonly role: 'peer' | 'broker' | undefined;
  readonly requester: ChunkRequester;
}

export interface PeerObjectsComponents {
  readonly replica: ShareReplica;
  readonly store: ChunkStore;
  links(): Iterable<ObjectLink>;
  emit(e: TransferEvent): void;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
  /** Milliseconds since the epoch (the runtime's clock). */
  now(): number;
  stopped(): boolean;
}

interface Upload {
  readonly ref: ObjectRef;
  readonly ids: ChunkId[];
}

const PIECE_BYTES = 1 << 20;
/** Store writes in flight while storing a file (bounds memory). */
const MAX_PENDING_PUTS = 256;

export class PeerObjects {
  private keysFor: { secretHex: string; keys: ConvergenceKeys } | undefined;
  private readonly uploads = new Map<ChunkId, Upload>();
  /** Per broker key: ids it confirmed (CHUNKHAVE); per link: ids offered and not answered. */
  private readonly confirmed = new Map<string, Set<ChunkId>>();
  private readonly offered = new Map<string, Set<ChunkId>>();
  private readonly announced = new Set<string>();
  private readonly serving = new Map<string, Promise<void>>();
  private collecting: Promise<unknown> = Promise.resolve();

  constructor(private readonly c: PeerObjectsComponents) {}

  private keys(): ConvergenceKeys {
    const secret = this.c.replica.convergenceSecret();
    if (!secret) throw new ShareKeysMissingError();
    const hex = toHex(secret);
    if (this.keysFor?.secretHex !== hex) this.keysFor = { secretHex: hex, keys: convergenceKeys(secret) };
    return this.keysFor.keys;
  }

  /** Chunks, encrypts and stores bytes or a file's contents; offers the object to brokers. */
  async storeObject(input: Uint8Array | ObjectSource): Promise<ObjectRef> {
    const writer = new ObjectWriter(this.keys());
    const ids: ChunkId[] = [];
    let puts: Promise<unknown>[] = [];
    const put = async (chunks: ReturnType<ObjectWriter['write']>) => {
      for (const ch of chunks) {
        ids.push(ch.ref.id);
        puts.push(this.c.store.putSealed(ch.ref.id, ch.ciphertext));
      }
      if (puts.length >= MAX_PENDING_PUTS) {
        await Promise.all(puts);
        puts = [];
      }
    };
    // Whatever the size of a source's pieces, the writer gets at most PIECE_BYTES at a time.
    for await (const piece of input instanceof Uint8Array ? [input] : input) {
      for (let at = 0; at < piece.length; at += PIECE_BYTES) await put(writer.write(piece.subarray(at, at + PIECE_BYTES)));
    }
    const last = writer.finish();
    await put(last.chunks);
    await Promise.all(puts);
    this.uploads.set(last.root.id, { ref: last.root, ids: [...new Set(ids)] });
    for (const l of this.c.links()) if (l.role === 'broker') this.offerTo(l);
    return last.root;
  }

  /** True when every chunk of the object is stored here. */
  async hasObject(ref: ObjectRef): Promise<boolean> {
    return (await fetchObject(ref, this.c.store, new Map())).complete;
  }

  /** The object's bytes, one data chunk at a time, from the local store (MissingChunkError: fetch first). */
  readObject(ref: ObjectRef): AsyncGenerator<Uint8Array> {
    return readObject(ref, (id) => this.c.store.get(id));
  }

  /**
   * Writes the object (all chunks stored here) into `sink` and commits it: the file
   * appears whole or not at all. `beforeReplace` may veto at the last moment (e.g. the
   * file was edited meanwhile): false discards what was written and returns false. On
   * any error the sink is discarded.
   */
  async saveObject(ref: ObjectRef, sink: ObjectSink, beforeReplace?: () => Promise<boolean>): Promise<boolean> {
    try {
      let written = 0;
      for await (const piece of this.readObject(ref)) {
        await sink.write(piece);
        written += piece.length;
      }
      if (written !== ref.size) throw new CorruptObjectError(`object holds ${written} bytes, its reference says ${ref.size}`);
      return await sink.commit(beforeReplace);
    } catch (err) {
      await sink.discard().catch(() => undefined);
      throw err;
    }
  }

  /** Makes every chunk of `ref` local, fetching from the links. See the file comment. */
  async fetchObject(ref: ObjectRef, opts: FetchObjectOptions = {}): Promise<ObjectFetchReport> {
    const deadline = this.c.now() + (opts.timeoutMs ?? 120_000);
    let rejected = 0;
    let chunksFetched = 0;
    let bytesFetched = 0;
    let lastEmit = 0;
    const onProgress = (p: FetchProgress) => {
      opts.onProgress?.(p);
      const now = this.c.now();
      if (now - lastEmit >= 100) {
        lastEmit = now;
        this.c.emit({ direction: 'download', object: ref.id, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, done: false });
      }
    };
    for (let rounds = 1; ; rounds++) {
      if (opts.signal?.aborted || this.c.stopped()) throw new FetchAbortedError();
      const sources = new Map<SourceId, ChunkSource>();
      for (const l of this.c.links()) if (l.role && !l.channel.closed) sources.set(l.id, l.requester);
      const r = await fetchObject(ref, this.c.store, sources, { maxInFlight: 128, maxPerSource: 64, onProgress, ...(opts.signal ? { signal: opts.signal } : {}) });
      rejected += r.rejected;
      chunksFetched += r.chunksFetched;
      bytesFetched += r.bytesFetched;
      if (r.rejected > 0) this.c.log(`rejected ${r.rejected} chunk(s) that did not match their ids; fetched them from other sources`);
      const report = { ...r, chunksFetched, bytesFetched, rejected, rounds };
      if (r.complete) {
        this.c.emit({ direction: 'download', object: ref.id, bytesDone: r.bytesTotal, bytesTotal: r.bytesTotal, done: true });
        return report;
      }
      if (r.corrupt.length > 0) throw new CorruptObjectError(`object ${ref.id.slice(0, 16)}…: ${r.corrupt.length} tree node(s) do not open with their keys: the reference is wrong`);
      if (this.c.now() >= deadline) throw new ObjectUnavailableError(r.unavailable.length, report);
      await this.c.sleep(sources.size === 0 ? 250 : 1000);
    }
  }

  /**
   * Deletes the chunks no kept version of a listed file reaches, older than the grace
   * period (peer-gc.ts); objects whose chunks went are no longer offered to brokers.
   * One collection at a time: a call during another waits for it and runs after.
   */
  collectGarbage(opts: PeerGarbageCollectionOptions = {}): Promise<PeerGarbageCollectionReport> {
    const run = this.collecting.catch(() => undefined).then(async () => {
      const report = await collectShareGarbage(this.c.replica, this.c.store, { now: this.c.now(), ...opts });
      if (report.deleted > 0) for (const [id] of this.uploads) if (!(await this.c.store.has(id))) this.uploads.delete(id);
      return report;
    });
    this.collecting = run;
    return run;
  }

  // ---- serving and uploads ----

  /** A CHUNKWANT on a link: answered from the store, in order, after earlier ones. */
  serve(link: ObjectLink, ids: Uint8Array[]): void {
    const prev = this.serving.get(link.id) ?? Promise.resolve();
    const next = prev.then(() => answerChunkWant(link.channel, this.c.store, ids).then(() => undefined)).catch(() => undefined);
    this.serving.set(link.id, next);
  }

  /** A broker confirmed these chunks. */
  confirm(link: ObjectLink, raw: Uint8Array[]): void {
    const have = this.confirmedBy(link.remoteHex);
    const offered = this.offered.get(link.id);
    for (const r of raw) {
      const id = toHex(r) as ChunkId;
      have.add(id);
      offered?.delete(id);
    }
    for (const u of this.uploads.values()) {
      const key = `${link.remoteHex}/${u.ref.id}`;
      if (this.announced.has(key) || !u.ids.every((id) => have.has(id))) continue;
      this.announced.add(key);
      this.c.emit({ direction: 'upload', object: u.ref.id, bytesDone: u.ref.size, bytesTotal: u.ref.size, done: true, broker: link.remoteHex });
    }
    if (offered?.size === 0) this.offered.delete(link.id);
  }

  linkClosed(link: ObjectLink): void {
    this.offered.delete(link.id);
    this.serving.delete(link.id);
  }

  /** A broker link joined: offer it every object we hold that the share names, and ours. */
  async brokerJoined(link: ObjectLink): Promise<void> {
    const replica = this.c.replica;
    if (!replica.currentEpoch()?.topicSecret || !replica.convergenceSecret()) return;
    for (const entry of replica.files()) {
      if (entry.kind !== 'binary') continue;
      for (const v of replica.binaryVersions(entry.file)) {
        let ref: ObjectRef;
        try {
          ref = decodeObjectRef(v.ref);
        } catch {
          continue;
        }
        if (this.uploads.has(ref.id)) continue;
        const ids: ChunkId[] = [];
        try {
          for await (const id of objectChunkIds(ref, (i) => this.c.store.get(i))) ids.push(id);
        } catch {
          continue; // not (entirely) here: nothing of ours to upload
        }
        this.uploads.set(ref.id, { ref, ids: [...new Set(ids)] });
      }
    }
    this.offerTo(link);
  }

  /** Offers a broker the ids of our objects it has not confirmed and we have not offered on this link. */
  private offerTo(link: ObjectLink): void {
    const epoch = this.c.replica.currentEpoch();
    if (!epoch?.topicSecret || link.channel.closed) return;
    const have = this.confirmedBy(link.remoteHex);
    let offered = this.offered.get(link.id);
    if (!offered) this.offered.set(link.id, (offered = new Set()));
    const ids: Uint8Array[] = [];
    for (const u of this.uploads.values()) {
      for (const id of u.ids) {
        if (have.has(id) || offered.has(id)) continue;
        offered.add(id);
        ids.push(fromHex(id));
      }
    }
    for (let at = 0; at < ids.length; at += MAX_WANT) {
      const batch = ids.slice(at, at + MAX_WANT);
      const signature = sign(epoch.topicSecret, chunkOfferSignedBytes(epoch.topic, batch));
      link.channel.send(encodeWire({ type: 'chunkoffer', topic: epoch.topic, ids: batch, signature })).catch(() => undefined);
    }
  }

  private confirmedBy(remoteHex: string): Set<ChunkId> {
    let s = this.confirmed.get(remoteHex);
    if (!s) this.confirmed.set(remoteHex, (s = new Set()));
    return s;
  }
}
