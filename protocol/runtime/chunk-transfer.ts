/**
 * Chunk transfer over FrameChannels, with the CHUNKWANT / CHUNK messages of the pub/sub
 * wire protocol (multicast/wire.ts).
 *
 * Serving: `answerChunkWant` answers one CHUNKWANT with one CHUNK per id, in the order
 * asked, empty bytes for a chunk not stored here. At most ~1 MiB of answers waits on the
 * channel: a slow reader holds the server back (FrameChannel backpressure) instead of
 * growing a queue; one CHUNKWANT is at most MAX_WANT ids. `serveChunks` runs that for
 * every CHUNKWANT on a channel (a runtime that also speaks the rest of pub/sub on the channel calls
 * answerChunkWant from its own dispatch instead).
 *
 * Fetching: `ChannelChunkSource` turns a channel into a ChunkSource: fetch() calls made
 * in the same tick go out as one CHUNKWANT; answers come back in order. `fetchObjectFrom`
 * drives ChunkFetcher (chunks/fetcher.ts, through chunk-fetch.ts) over several
 * channels: many chunks in flight, each verified against its id, a tampered chunk
 * refetched from another source, progress reported. Interrupted (a source dies, the
 * caller aborts), it returns `complete: false`; what was stored stays, so calling it
 * again with new channels fetches only what is still missing.
 */
import { isChunkId, type ChunkId, type ObjectRef, type SourceId } from '../src/chunks/index.js';
import { fromHex, toHex } from '../src/crypto/index.js';
import { decodeWire, encodeWire, MAX_WANT } from '../src/multicast/wire.js';
import type { FrameChannel } from '../src/ports/transport.js';
import type { ChunkStore } from '../src/ports/chunk-store.js';
import { fetchObject, type ChunkSource, type FetchObjectInit, type FetchObjectResult } from './chunk-fetch.js';

/** Bad input from a remote: reported, never thrown across the runtime boundary. */
export type ChunkServeEvent = { kind: 'malformed'; reason: string } | { kind: 'served'; chunks: number; missing: number };

export interface ServeChunksInit {
  readonly onEvent?: (e: ChunkServeEvent) => void;
}

/** Store reads in progress at once while answering. */
const READ_AHEAD = 16;
/** Bytes handed to the channel but not yet accepted by it; above this we wait (backpressure). */
const MAX_UNSENT_BYTES = 1024 * 1024;

/**
 * Sends one CHUNK per wanted id, in order (empty bytes: not here). Reads READ_AHEAD
 * chunks ahead and lets sends made together batch into one write, but never has more
 * than MAX_UNSENT_BYTES waiting on a slow reader.
 */
export async function answerChunkWant(channel: Pick<FrameChannel, 'send'>, store: Pick<ChunkStore, 'get'>, ids: readonly Uint8Array[]): Promise<{ chunks: number; missing: number }> {
  let chunks = 0;
  let missing = 0;
  const read = (raw: Uint8Array) => {
    const id = toHex(raw);
    return isChunkId(id) ? store.get(id) : Promise.resolve(undefined);
  };
  const reads: Promise<Uint8Array | undefined>[] = ids.slice(0, READ_AHEAD).map(read);
  const sends: { done: Promise<void>; bytes: number }[] = [];
  let unsent = 0;
  for (let i = 0; i < ids.length; i++) {
    const bytes = await reads[i]!;
    if (i + READ_AHEAD < ids.length) reads.push(read(ids[i + READ_AHEAD]!));
    reads[i] = undefined as unknown as Promise<Uint8Array | undefined>;
    if (bytes === undefined) missing++;
    else chunks++;
    const frame = encodeWire({ type: 'chunk', id: ids[i]!, bytes: bytes ?? new Uint8Array(0) });
    const done = channel.send(frame);
    done.catch(() => undefined); // a closed channel rejects them all; the first awaited one reports it
    sends.push({ done, bytes: frame.length });
    unsent += frame.length;
    while (unsent > MAX_UNSENT_BYTES) {
      const oldest = sends.shift()!;
      await oldest.done;
      unsent -= oldest.bytes;
    }
  }
  await Promise.all(sends.map((s) => s.done));
  return { chunks, missing };
}

/** Answers CHUNKWANTs on the channel until it closes; ignores the other message types. */
export async function serveChunks(channel: FrameChannel, store: ChunkStore, init: ServeChunksInit = {}): Promise<void> {
  try {
    for await (const frame of channel.frames()) {
      let m;
      try {
        m = decodeWire(frame);
      } catch (err) {
        init.onEvent?.({ kind: 'malformed', reason: (err as Error).message });
        continue;
      }
      if (m.type !== 'chunkwant') continue;
      const r = await answerChunkWant(channel, store, m.ids);
      init.onEvent?.({ kind: 'served', ...r });
    }
  } catch {
    // the channel closed under a send: nothing left to answer
  }
}

interface Waiting {
  id: ChunkId;
  resolve: (bytes: Uint8Array | undefined) => void;
  reject: (err: Error) => void;
}

/**
 * The requesting side of CHUNKWANT/CHUNK on one channel, whoever reads its frames:
 * fetch() calls made in the same tick go out as one CHUNKWANT (through `send`); the
 * channel's reader hands each CHUNK to deliver(), which matches it to the oldest
 * request (answers come in order). A runtime that multiplexes other messages on the
 * channel (PeerRuntime) feeds it from its own dispatch; ChannelChunkSource from a
 * read loop of its own.
 */
export class ChunkRequester implements ChunkSource {
  private readonly waiting: Waiting[] = [];
  private head = 0;
  private unsent: ChunkId[] = [];
  private closedError: Error | undefined;

  constructor(private readonly send: (frame: Uint8Array) => Promise<void>) {}

  fetch(id: ChunkId): Promise<Uint8Array | undefined> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      if (this.unsent.push(id) === 1) queueMicrotask(() => this.sendWants());
    });
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.waiting.length - this.head;
  }

  /**
   * One CHUNK from the channel. Returns false (and fails every request) when it does
   * not answer the oldest request: the remote broke the protocol; close the channel.
   */
  deliver(id: Uint8Array, bytes: Uint8Array): boolean {
    const w = this.waiting[this.head];
    if (w === undefined || toHex(id) !== w.id) {
      this.fail(new Error('chunk source answered out of order'));
      return false;
    }
    this.waiting[this.head++] = undefined as unknown as Waiting;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    w.resolve(bytes.length === 0 ? undefined : bytes);
    return true;
  }

  /** The channel ended: every pending and later fetch rejects with `err`. */
  fail(err: Error): void {
    this.closedError ??= err;
    for (let i = this.head; i < this.waiting.length; i++) this.waiting[i]!.reject(err);
    this.waiting.length = 0;
    this.head = 0;
  }

  private sendWants(): void {
    const ids = this.unsent;
    this.unsent = [];
    for (let at = 0; at < ids.length; at += MAX_WANT) {
      const frame = encodeWire({ type: 'chunkwant', ids: ids.slice(at, at + MAX_WANT).map((id) => fromHex(id)) });
      this.send(frame).catch((err: Error) => this.fail(err));
    }
  }
}

/** A ChunkSource over one channel to a peer or broker that runs serveChunks / answerChunkWant. */
export class ChannelChunkSource implements ChunkSource {
  private readonly requester: ChunkRequester;
  private readonly reading: Promise<void>;

  constructor(private readonly channel: FrameChannel) {
    this.requester = new ChunkRequester((frame) => channel.send(frame));
    this.reading = this.readLoop();
  }

  fetch(id: ChunkId): Promise<Uint8Array | undefined> {
    return this.requester.fetch(id);
  }

  /** Closes the channel; pending fetches reject. */
  async close(): Promise<void> {
    await this.channel.close();
    await this.reading;
  }

  private async readLoop(): Promise<void> {
    try {
      for await (const frame of this.channel.frames()) {
        let m;
        try {
          m = decodeWire(frame);
        } catch {
          continue; // not ours to judge here; a lying answer is caught by the id check
        }
        if (m.type !== 'chunk') continue;
        if (!this.requester.deliver(m.id, m.bytes)) {
          void this.channel.close();
          return;
        }
      }
      this.requester.fail(new Error(`chunk source closed${this.channel.closeReason ? `: ${this.channel.closeReason.message}` : ''}`));
    } catch (err) {
      this.requester.fail(err as Error);
    }
  }
}

/**
 * Fetches every chunk of `root` that `store` lacks from the channels (keyed by a name
 * used in progress and logs). Defaults: 128 chunks in flight, 128 per source.
 */
export async function fetchObjectFrom(
  root: ObjectRef,
  store: ChunkStore,
  channels: ReadonlyMap<SourceId, FrameChannel>,
  init: FetchObjectInit = {},
): Promise<FetchObjectResult> {
  const sources = new Map<SourceId, ChunkSource>();
  for (const [name, ch] of channels) sources.set(name, new ChannelChunkSource(ch));
  return fetchObject(root, store, sources, { maxInFlight: 128, maxPerSource: 128, ...init });
}
