/**
 * The broker's chunk stores and chunk traffic (binary files' encrypted chunks). The
 * broker only ever holds ciphertext and ids: it cannot open a chunk or a commit.
 *
 * One chunk store per topic (a TopicChunkShelf: on disk, protocol/storage/topic-chunk-shelf.ts),
 * opened on start or on first upload.
 *
 * Upload (a writer pushes the chunks of objects it committed):
 *   peer -> CHUNKOFFER topic, ids, topic signature (checked by the sans-I/O Broker)
 *   broker -> CHUNKWANT the ids it lacks, WINDOW ids at a time, two windows in flight;
 *   peer -> one CHUNK per wanted id, in order; each is checked against its id, the
 *           topic's chunk quota and maxChunkBytes, and stored;
 *   broker -> CHUNKHAVE the offered ids it now holds durably (left out: refused ones).
 * Offers on one channel are handled one after another. A CHUNK the broker did not ask
 * for (or out of order) is refused with a strike, like any other bad input.
 *
 * Serving: CHUNKWANT is answered from the stores of the topics the channel subscribes
 * to, in order, empty bytes for a chunk not here (chunk-transfer.ts answerChunkWant).
 *
 * Expiry (optional, `expiryMs`): the broker cannot open tree nodes, so it cannot tell
 * which chunks an object still needs; it deletes chunks nobody stored or offered for
 * expiryMs instead (chunk-gc.ts with graceMs = expiryMs, then compaction). An
 * offer of a chunk the broker holds refreshes its time (at most once per eighth of the
 * expiry, to spare the disk), and peers offer their objects again on every connection,
 * so what a member still holds and connects with stays.
 *
 * Test hook: `tamper` (bin/ sets it from WEFT_TEST_TAMPER_CHUNKS=1) makes this broker flip one
 * byte of every chunk it serves (a hostile source for the process tests).
 */
import { TamperedChunkError, type ChunkId } from '../src/chunks/index.js';
import { fromHex, toHex } from '../src/crypto/index.js';
import { encodeWire, type WireErrorCode } from '../src/multicast/wire.js';
import type { BrokerLimits, ChannelId, ChunkWork } from '../src/broker/index.js';
import type { FrameChannel } from '../src/ports/transport.js';
import type { TopicChunkShelf, TopicChunkStore } from '../src/ports/broker-storage.js';
import { collectGarbage } from './chunk-gc.js';
import { answerChunkWant } from './chunk-transfer.js';

/** Ids asked for in one CHUNKWANT of an upload. */
const WINDOW = 128;
/** Offers waiting on one channel; more are refused (rate-limited) until these are done. */
const MAX_QUEUED_OFFERS = 64;
const TOPIC_DIR = /^[0-9a-f]{64}$/;

export interface BrokerChunksIO {
  /** Queues a frame to a channel (the server's write queue). */
  send(channel: ChannelId, frame: Uint8Array): void;
  channel(channel: ChannelId): FrameChannel | undefined;
  /** ERROR to the channel plus a strike (Broker.refuseChunk). */
  refuse(channel: ChannelId, code: WireErrorCode, reason: string, topic?: Uint8Array): void;
  log(level: 'info' | 'warn', text: string): void;
}

interface Expected {
  readonly id: ChunkId;
  readonly offer: Offer;
  readonly arrived: () => void;
}

interface Offer {
  readonly topic: Uint8Array;
  readonly topicHex: string;
  readonly ids: Uint8Array[];
  readonly held: Uint8Array[];
  readonly puts: Promise<void>[];
  refused: boolean;
}

interface ChannelChunks {
  /** Chunks asked for on this channel and not received yet, oldest first. */
  readonly expected: Expected[];
  /** Offers run one after another. */
  offers: Promise<void>;
  queuedOffers: number;
  /** CHUNKWANTs answered one after another (answers go out in the order asked). */
  serving: Promise<void>;
  closed: boolean;
}

export interface ChunkTopicSummary {
  readonly topic: string;
  readonly chunks: number;
  readonly bytes: number;
}

export interface BrokerChunksOptions {
  /** Delete chunks not stored or offered for this long (expire()). Default: keep forever. */
  readonly expiryMs?: number;
  /** Milliseconds since the epoch; the stores use it too. */
  readonly now: () => number;
  /** Test hook: serve damaged chunks (see the file comment). */
  readonly tamper?: boolean;
}

/** What expire() did to one topic's chunks. */
export interface ChunkExpiryReport {
  readonly topic: string;
  readonly deleted: number;
  readonly bytesDeleted: number;
  /** Dead bytes removed from disk by compaction. */
  readonly bytesFreed: number;
  readonly kept: number;
}

export class BrokerChunks {
  private readonly stores = new Map<string, TopicChunkStore>();
  private readonly opening = new Map<string, Promise<TopicChunkStore>>();
  /** Stored plus reserved (being written) chunk bytes per topic. */
  private readonly used = new Map<string, number>();
  private readonly chunkCount = new Map<string, number>();
  private readonly channels = new Map<ChannelId, ChannelChunks>();
  private closed = false;
  private expiring: Promise<ChunkExpiryReport[]> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly shelf: TopicChunkShelf,
    private readonly limits: Pick<BrokerLimits, 'topicChunkQuotaBytes' | 'maxChunkBytes' | 'maxTopics'>,
    private readonly io: BrokerChunksIO,
    private readonly options: BrokerChunksOptions,
  ) {
    this.now = options.now;
  }

  /** Opens every stored topic's chunk store. */
  async open(): Promise<void> {
    for (const topicHex of await this.shelf.stored()) await this.storeFor(topicHex);
    if (this.options.tamper) this.io.log('warn', 'WEFT_TEST_TAMPER_CHUNKS=1: serving damaged chunks (test hook)');
  }

  summaries(): ChunkTopicSummary[] {
    return [...this.stores.keys()].map((topic) => ({ topic, chunks: this.chunkCount.get(topic) ?? 0, bytes: this.used.get(topic) ?? 0 }));
  }

  /** Runs one item of chunk work from the Broker. Never throws: failures are refusals and logs. */
  handle(work: ChunkWork): void {
    const ch = this.stateOf(work.channel);
    if (ch.closed) return;
    switch (work.kind) {
      case 'offer':
        if (ch.queuedOffers >= MAX_QUEUED_OFFERS) {
          this.io.refuse(work.channel, 'rate-limited', `at most ${MAX_QUEUED_OFFERS} chunk offers may wait on one connection`, work.topic);
          return;
        }
        ch.queuedOffers++;
        ch.offers = ch.offers
          .then(() => this.runOffer(work.channel, ch, work))
          .catch((err: unknown) => this.io.log('warn', `${work.channel}: chunk offer failed: ${message(err)}`))
          .finally(() => ch.queuedOffers--);
        return;
      case 'want':
        ch.serving = ch.serving.then(() => this.serve(work.channel, work.ids, work.topicHexes)).catch(() => undefined);
        return;
      case 'chunk':
        this.receive(work.channel, ch, work.id, work.bytes);
        return;
    }
  }

  /** The channel closed: pending uploads on it end (nothing more will arrive). */
  disconnect(channel: ChannelId): void {
    const ch = this.channels.get(channel);
    if (!ch) return;
    ch.closed = true;
    for (const e of ch.expected.splice(0)) e.arrived();
    this.channels.delete(channel);
  }

  /**
   * Deletes, in every topic's store, the chunks stored or offered longer than expiryMs
   * ago (nothing without expiryMs). One run at a time: a call during a run gets that run.
   */
  expire(): Promise<ChunkExpiryReport[]> {
    const expiryMs = this.options.expiryMs;
    if (expiryMs === undefined || this.closed) return Promise.resolve([]);
    this.expiring ??= this.expireAll(expiryMs).finally(() => (this.expiring = undefined));
    return this.expiring;
  }

  private async expireAll(expiryMs: number): Promise<ChunkExpiryReport[]> {
    const reports: ChunkExpiryReport[] = [];
    for (const [topic, store] of [...this.stores]) {
      if (this.closed) break;
      const r = await collectGarbage(store, { now: this.now(), graceMs: expiryMs });
      this.used.set(topic, Math.max(0, (this.used.get(topic) ?? 0) - r.bytesDeleted));
      this.chunkCount.set(topic, Math.max(0, (this.chunkCount.get(topic) ?? 0) - r.deleted));
      reports.push({ topic, deleted: r.deleted, bytesDeleted: r.bytesDeleted, bytesFreed: r.compaction?.bytesFreed ?? 0, kept: r.keptYoung });
    }
    return reports;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.channels.keys()]) this.disconnect(c);
    await this.expiring?.catch(() => undefined);
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all([...this.stores.values()].map((s) => s.close().catch(() => undefined)));
    this.stores.clear();
  }

  // ---- upload ----

  private async runOffer(channel: ChannelId, ch: ChannelChunks, work: Extract<ChunkWork, { kind: 'offer' }>): Promise<void> {
    const offer: Offer = { topic: work.topic, topicHex: work.topicHex, ids: work.ids, held: [], puts: [], refused: false };
    let store: TopicChunkStore;
    try {
      store = await this.storeFor(work.topicHex);
    } catch (err) {
      this.io.refuse(channel, 'quota', message(err), work.topic);
      return;
    }
    const missing: ChunkId[] = [];
    const expiryMs = this.options.expiryMs;
    // With expiry, holding an offered chunk and refreshing it is one step, so a sweep
    // cannot delete it between this answer and the CHUNKHAVE.
    const refreshBefore = expiryMs === undefined ? undefined : this.now() - expiryMs / 8;
    for (const raw of work.ids) {
      const id = toHex(raw) as ChunkId;
      if (await (refreshBefore === undefined ? store.has(id) : store.refresh(id, refreshBefore))) offer.held.push(raw);
      else missing.push(id);
    }
    if (missing.length > 0 && (this.used.get(work.topicHex) ?? 0) >= this.limits.topicChunkQuotaBytes) {
      this.refuseQuota(channel, offer);
      missing.length = 0;
    }
    const windows: Promise<void>[] = [];
    for (let at = 0; at < missing.length && !ch.closed; at += WINDOW) {
      const batch = missing.slice(at, at + WINDOW);
      windows.push(Promise.all(batch.map((id) => new Promise<void>((arrived) => ch.expected.push({ id, offer, arrived })))).then(() => undefined));
      this.io.send(channel, encodeWire({ type: 'chunkwant', ids: batch.map((id) => fromHex(id)) }));
      if (windows.length >= 2) await windows[windows.length - 2];
    }
    await Promise.all(windows);
    await Promise.all(offer.puts);
    if (!ch.closed) this.io.send(channel, encodeWire({ type: 'chunkhave', ids: offer.held }));
  }

  private receive(channel: ChannelId, ch: ChannelChunks, raw: Uint8Array, bytes: Uint8Array): void {
    const head = ch.expected[0];
    const id = toHex(raw) as ChunkId;
    if (!head || head.id !== id) {
      this.io.refuse(channel, 'malformed', 'a chunk this broker did not ask for (or out of order); dropped');
      return;
    }
    ch.expected.shift();
    head.arrived();
    const offer = head.offer;
    if (bytes.length === 0) return; // the offerer no longer has it
    if (bytes.length > this.limits.maxChunkBytes) {
      this.io.refuse(channel, 'too-large', `chunk of ${bytes.length} bytes exceeds the ${this.limits.maxChunkBytes}-byte limit`, offer.topic);
      return;
    }
    const used = this.used.get(offer.topicHex) ?? 0;
    if (used + bytes.length > this.limits.topicChunkQuotaBytes) {
      this.refuseQuota(channel, offer);
      return;
    }
    this.used.set(offer.topicHex, used + bytes.length); // reserved until the put says how much was new
    const store = this.stores.get(offer.topicHex);
    const put = (async () => {
      try {
        if (!store) throw new Error('chunk store closed');
        const r = await store.put(id, bytes);
        this.used.set(offer.topicHex, (this.used.get(offer.topicHex) ?? 0) - bytes.length + r.bytesStored);
        if (r.bytesStored > 0) this.chunkCount.set(offer.topicHex, (this.chunkCount.get(offer.topicHex) ?? 0) + 1);
        offer.held.push(raw);
      } catch (err) {
        this.used.set(offer.topicHex, (this.used.get(offer.topicHex) ?? 0) - bytes.length);
        if (err instanceof TamperedChunkError) this.io.refuse(channel, 'malformed', 'a chunk does not match its id; dropped', offer.topic);
        else this.io.log('warn', `${channel}: storing chunk ${id.slice(0, 16)} failed: ${message(err)}`);
      }
    })();
    offer.puts.push(put);
  }

  private refuseQuota(channel: ChannelId, offer: Offer): void {
    if (offer.refused) return;
    offer.refused = true;
    this.io.refuse(channel, 'quota', `the topic's chunk quota of ${this.limits.topicChunkQuotaBytes} bytes is full`, offer.topic);
  }

  // ---- serving ----

  private async serve(channel: ChannelId, ids: Uint8Array[], topicHexes: string[]): Promise<void> {
    const ch = this.io.channel(channel);
    if (!ch) return;
    const stores = topicHexes.map((h) => this.stores.get(h)).filter((s): s is TopicChunkStore => s !== undefined);
    const get = async (id: ChunkId): Promise<Uint8Array | undefined> => {
      for (const s of stores) {
        const b = await s.get(id);
        if (b) {
          if (!this.options.tamper) return b;
          const copy = b.slice();
          copy[copy.length >> 1]! ^= 1;
          return copy;
        }
      }
      return undefined;
    };
    await answerChunkWant(ch, { get }, ids);
  }

  // ---- stores ----

  private stateOf(channel: ChannelId): ChannelChunks {
    let ch = this.channels.get(channel);
    if (!ch) this.channels.set(channel, (ch = { expected: [], offers: Promise.resolve(), queuedOffers: 0, serving: Promise.resolve(), closed: this.closed }));
    return ch;
  }

  private storeFor(topicHex: string): Promise<TopicChunkStore> {
    const have = this.stores.get(topicHex);
    if (have) return Promise.resolve(have);
    let p = this.opening.get(topicHex);
    if (!p) {
      p = (async () => {
        if (this.closed) throw new Error('the broker is stopping');
        if (!TOPIC_DIR.test(topicHex)) throw new RangeError(`not a topic: ${topicHex}`);
        if (this.stores.size >= this.limits.maxTopics) throw new Error(`this broker already stores chunks of its maximum of ${this.limits.maxTopics} topics`);
        const store = await this.shelf.open(topicHex);
        const st = await store.stats();
        this.used.set(topicHex, st.bytes);
        this.chunkCount.set(topicHex, st.chunks);
        this.stores.set(topicHex, store);
        for (const r of store.recovered) this.io.log('warn', `chunks of topic ${topicHex.slice(0, 16)}: ${r}`);
        return store;
      })();
      p.catch(() => undefined).finally(() => this.opening.delete(topicHex));
      this.opening.set(topicHex, p);
    }
    return p;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
