/**
 * The broker's runtime: drives the sans-I/O Broker (protocol/src/broker/) over a
 * Transport, its event store and chunk shelf, and a Clock — all given to it (on Node,
 * protocol/platform/node-broker.ts wires libp2p and the data directory).
 *
 * Each channel has a write queue; a reader that lets more than maxQueuedBytes pile up
 * is closed, so a slow client cannot stall others or grow memory without bound.
 * Reading is paced by the broker's publish window: while a channel's events wait for
 * the disk and its window is full, its next frame is not read (the transport then
 * pushes back on the sender) until a store completes.
 * Peer brokers are dialled with exponential backoff (0.5 s .. 30 s) until stop().
 */
import type { FrameChannel, Transport } from '../src/ports/transport.js';
import type { BrokerEventStore, TopicChunkShelf } from '../src/ports/broker-storage.js';
import { Broker, type BrokerLimits, type BrokerOutput, type ChannelId, type TopicPolicy } from '../src/broker/index.js';
import { fromHex, publicKeyToText, toHex } from '../src/crypto/index.js';
import { decodeWire, PUBSUB_PROTOCOL } from '../src/multicast/wire.js';
import { every, type Clock } from '../src/ports/clock.js';
import { COMMIT_KIND, decodeCommitEnvelope } from '../src/log/commit.js';
import { BrokerChunks, type ChunkTopicSummary } from './broker-chunks.js';
import { RelayGate, type RelayGateStatus } from './relay-gate.js';
import { BrokerOverlay, type OverlayStatus } from './broker-overlay.js';
import type { Random } from '../src/ports/clock.js';
import type { OverlayNodeOptions } from '../src/overlay/index.js';

/** The overlay (docs/OVERLAY.md): brokers find the other brokers of their topics by themselves. */
export interface BrokerOverlayConfig {
  /** The broker's identity seed: it signs the overlay's envelopes. */
  secretKey: Uint8Array;
  /** Brokers to join through (multiaddrs with /p2p/<id>). */
  bootstrap: readonly string[];
  random: Random;
  /** Gossip period in ms (default 5,000, jittered). */
  periodMs?: number;
  options?: OverlayNodeOptions;
}

/** The broker's channel id for the overlay (Broker.attachOverlay). */
const OVERLAY_CHANNEL = 'overlay' as ChannelId;
/** Links between ring neighbours: the pub/sub frames, but only topics both carry are synced (Broker.ringLink). */
export const RING_LINK_PROTOCOL = '/weft/ring-link/1';

/** Who opened a pub/sub channel: a member (or anyone), a configured peer broker we dialled, or a ring neighbour (either side). */
type ChannelKind = 'member' | 'peer-broker' | 'ring';

export interface BrokerServerInit {
  /** The broker's transport, not started yet (start() starts it, stop() stops it). */
  transport: Transport;
  /** Its events, one durable log per topic. */
  events: BrokerEventStore;
  /** Its chunk stores, one per topic. */
  chunkShelf: TopicChunkShelf;
  peerBrokers?: string[];
  policy?: TopicPolicy;
  allowlist?: Uint8Array[];
  limits?: Partial<BrokerLimits>;
  /** Outgoing bytes queued for one slow reader before its connection is closed. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Delete chunks nobody stored or offered for this long (broker-chunks.ts). Default: keep forever. */
  chunkExpiryMs?: number;
  /** How often expired chunks are swept (the first sweep runs at start). Default: hourly, or expiry/2 if shorter. */
  chunkExpiryIntervalMs?: number;
  log?: (level: 'info' | 'warn', text: string) => void;
  /** Time and timers (protocol/platform/system-clock.ts, or a simulator's). */
  clock: Clock;
  /** One log line per event received, to follow a keystroke end to end (WEFT_TRACE=1 in bin/). */
  trace?: boolean;
  /** Test hook: serve damaged chunks (broker-chunks.ts). */
  tamperChunks?: boolean;
  /** Peer keys that may hold a relay slot without a RELAYREQ (relay-gate.ts). */
  relayAllow?: readonly Uint8Array[];
  /** How long a relay reservation waits for its peer's RELAYREQ. Default 10 s. */
  relayAdmitWaitMs?: number;
  /** Take part in the overlay: events travel along each topic's ring of brokers. */
  overlay?: BrokerOverlayConfig;
}

export interface BrokerStatus {
  running: boolean;
  peerKey: string;
  addresses: string[];
  policy: TopicPolicy;
  clients: number;
  peerBrokers: Array<{ addr: string; connected: boolean }>;
  topics: Array<{ topic: string; events: number; bytes: number; subscribers: number }>;
  events: number;
  bytes: number;
  /** Encrypted chunks of binary files, per topic. */
  chunkTopics: ChunkTopicSummary[];
  chunks: number;
  chunkBytes: number;
  /** Refusals counted since start: ERROR replies by code, connections closed for misbehaving, channels the transport cut (frame deadline, memory budget, ...) by error. */
  refused: { byCode: Record<string, number>; connectionsClosed: number; channelsCutByTransport: Record<string, number> };
  /** The circuit relay (issue 19): slots held now, relayed connections open now, peers admitted to hold a slot, reservations refused since start. */
  relay: RelayGateStatus & { reservations: number; circuits: number };
  /** The overlay, when the broker takes part in it: views, rings, events relayed. */
  overlay?: OverlayStatus;
  /** Ids members wanted that this broker lacked, asked of its ring neighbours: outstanding now, sent since start. */
  ringAsks: { outstanding: number; asked: number };
  updatedAt: string;
}

interface ChannelRuntime {
  readonly id: ChannelId;
  readonly channel: FrameChannel;
  /** Frames not yet handed to the channel (they wait for the end of the current turn). */
  readonly queue: Uint8Array[];
  /** Bytes queued here plus bytes handed to the channel whose send has not completed. */
  queuedBytes: number;
  scheduled: boolean;
}

/** Store requests of one topic gathered during one turn: written with one append. */
interface TopicBatch {
  readonly topicHex: string;
  readonly ids: number[];
  readonly records: Uint8Array[];
}

const HOUR_MS = 60 * 60 * 1000;

export class BrokerServer {
  private readonly channels = new Map<ChannelId, ChannelRuntime>();
  private readonly pendingStores = new Set<Promise<void>>();
  /** Store requests of this turn, per topic (flushed by clock.soon: one append per topic). */
  private readonly storeBatches = new Map<string, TopicBatch>();
  private storeFlushScheduled = false;
  /** Channels with frames queued this turn (handed to the transport together at the end of the turn). */
  private readonly sendReady = new Set<ChannelRuntime>();
  private sendFlushScheduled = false;
  private readonly peerState = new Map<string, { connected: boolean }>();
  private nextChannel = 1;
  private stopping = false;
  private unhandle: (() => void) | undefined;
  private stopExpiry: (() => void) | undefined;
  private readonly wakeups = new Set<() => void>();
  /** Channels whose reader waits for room in their publish window. */
  private readonly windowWaiters = new Map<ChannelId, () => void>();
  private readonly tracing: boolean;
  private readonly clock: Clock;
  private readonly peerLoops: Promise<void>[] = [];
  private readonly chunks: BrokerChunks;
  /** Channels the transport closed on error, by error name (frame deadline, memory budget, ...). */
  private readonly channelErrors = new Map<string, number>();

  private readonly transport: Transport;
  /** Who may hold a relay slot here: the transport's relay asks admitRelay(). */
  readonly relayGate: RelayGate;
  private overlay: BrokerOverlay | undefined;
  /** Links to ring neighbours, by overlay id: the channel once open, and the topics synced on it. */
  private readonly ringLinks = new Map<string, { channel?: ChannelId; readonly topics: Set<string> }>();
  private stopRingLinks: (() => void) | undefined;

  private constructor(
    private readonly init: BrokerServerInit,
    private readonly broker: Broker,
  ) {
    this.transport = init.transport;
    this.clock = init.clock;
    this.tracing = init.trace ?? false;
    this.relayGate = new RelayGate({
      clock: init.clock,
      ...(init.relayAllow ? { allow: init.relayAllow } : {}),
      ...(init.relayAdmitWaitMs !== undefined ? { waitMs: init.relayAdmitWaitMs } : {}),
      log: (level, text) => this.log(level, text),
    });
    this.chunks = new BrokerChunks(init.chunkShelf, broker.limits, {
      send: (to, frame) => this.enqueue(to, frame),
      channel: (id) => this.channels.get(id)?.channel,
      refuse: (channel, code, reason, topic) => this.apply(this.broker.refuseChunk(channel, code, reason, this.clock.now(), topic)),
      log: (level, text) => this.log(level, text),
    }, { now: () => init.clock.now(), tamper: init.tamperChunks ?? false, ...(init.chunkExpiryMs !== undefined ? { expiryMs: init.chunkExpiryMs } : {}) });
  }

  /** Loads the stored topics, opens the chunk stores, starts the transport and the peer-broker links. */
  static async start(init: BrokerServerInit): Promise<BrokerServer> {
    const log = init.log ?? (() => {});
    const broker = new Broker({ policy: init.policy ?? 'open', allowlist: init.allowlist ?? [], limits: init.limits ?? {} });
    const server = new BrokerServer(init, broker);
    try {
      let events = 0;
      for (const t of await init.events.open()) {
        if (t.recovered) log('warn', `topic ${t.topicHex.slice(0, 16)}: cut a torn tail of ${t.recovered.truncatedBytes} bytes (${t.recovered.reason})`);
        events += broker.load(fromHex(t.topicHex), t.records);
      }
      await server.chunks.open();
      const unhandlePubsub = init.transport.handle(PUBSUB_PROTOCOL, (ch) => server.accept(ch, 'member'));
      const unhandleRing = init.overlay ? init.transport.handle(RING_LINK_PROTOCOL, (ch) => server.accept(ch, 'ring')) : () => {};
      server.unhandle = () => {
        unhandlePubsub();
        unhandleRing();
      };
      if (init.overlay) server.joinOverlay(init.overlay);
      init.transport.on('channel:error', (info) => {
        server.channelErrors.set(info.error.name, (server.channelErrors.get(info.error.name) ?? 0) + 1);
        log('warn', `channel from ${publicKeyToText(info.remote).slice(0, 16)} closed: ${info.error.message}`);
      });
      await init.transport.start();
      log('info', `loaded ${broker.topicSummaries().length} topics, ${events} records; peer key ${publicKeyToText(init.transport.publicKey)}`);
      for (const addr of init.peerBrokers ?? []) server.peerLoops.push(server.peerLoop(addr));
      if (server.overlay && init.overlay) {
        server.overlay.start();
        server.stopRingLinks = every(init.clock, init.overlay.periodMs ?? 5000, () => server.linkRingNeighbours(), true);
      }
      if (init.chunkExpiryMs !== undefined) {
        void server.expireChunks();
        server.stopExpiry = every(init.clock, init.chunkExpiryIntervalMs ?? Math.max(1, Math.min(HOUR_MS, init.chunkExpiryMs / 2)), () => void server.expireChunks(), true);
      }
      return server;
    } catch (err) {
      await init.transport.stop().catch(() => {});
      await init.events.close().catch(() => {});
      await server.chunks.close().catch(() => {});
      throw err;
    }
  }

  /** The overlay node, attached to the broker as its overlay channel (before the transport starts). */
  private joinOverlay(config: BrokerOverlayConfig): void {
    const overlay = new BrokerOverlay({
      transport: this.transport,
      secretKey: config.secretKey,
      clock: this.clock,
      random: config.random,
      bootstrap: config.bootstrap,
      topics: [],
      ...(config.periodMs !== undefined ? { periodMs: config.periodMs } : {}),
      ...(config.options ? { options: config.options } : {}),
      deliver: (commit, id, topicHex) => {
        const { out, valid } = this.broker.overlayEvent(commit, id, topicHex, this.clock.now());
        this.apply(out);
        return valid;
      },
      log: (level, text) => this.log(level, text),
    });
    overlay.listen();
    this.overlay = overlay;
    this.apply(this.broker.attachOverlay(OVERLAY_CHANNEL));
  }

  /**
   * Catch-up and gap repair across the ring: a link to each topic's nearest ring
   * neighbour on either side, syncing that topic (a broker back from a crash, or one an
   * event's ring path missed, gets what its neighbours have). Links stay while open.
   */
  private linkRingNeighbours(): void {
    if (!this.overlay || this.stopping) return;
    for (const { topic, neighbours } of this.overlay.ringNeighbours()) {
      for (const id of neighbours) {
        let link = this.ringLinks.get(id);
        if (!link) {
          this.ringLinks.set(id, (link = { topics: new Set() }));
          void this.dialRingLink(id);
        }
        if (link.topics.has(topic)) continue;
        link.topics.add(topic);
        if (link.channel) this.apply(this.broker.ringLink(link.channel, fromHex(topic), this.clock.now()));
      }
    }
  }

  private async dialRingLink(id: string): Promise<void> {
    const overlay = this.overlay;
    if (!overlay) return;
    try {
      const ch = await overlay.open(id, RING_LINK_PROTOCOL);
      await this.accept(ch, 'ring');
    } catch (err) {
      this.log('info', `ring link to ${id.slice(0, 16)} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (!this.ringLinks.get(id)?.channel) this.ringLinks.delete(id);
    }
  }

  /** A ring link opened (either side): its topics are synced on it. */
  private ringLinkOpened(remote: string, channel: ChannelId): void {
    let link = this.ringLinks.get(remote);
    if (link?.channel) return; // both sides dialled: the first link carries the topics
    if (!link) this.ringLinks.set(remote, (link = { topics: new Set() }));
    link.channel = channel;
    for (const topic of link.topics) this.apply(this.broker.ringLink(channel, fromHex(topic), this.clock.now()));
  }

  private ringLinkClosed(remote: string, channel: ChannelId): void {
    if (this.ringLinks.get(remote)?.channel === channel) this.ringLinks.delete(remote);
  }

  /** A frame the broker sends its overlay channel: a new event goes along the topic's ring; the rest (acks, subscriptions) is for channels only. */
  private toOverlay(frame: Uint8Array): void {
    try {
      const m = decodeWire(frame);
      if (m.type === 'event') this.overlay?.publish(m.commit);
    } catch (err) {
      this.log('warn', `overlay: could not publish: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** One sweep of expired chunks, logged per topic (broker-chunks.ts expire()). */
  private async expireChunks(): Promise<void> {
    try {
      for (const r of await this.chunks.expire()) {
        if (r.deleted === 0) continue;
        this.log('info', `chunk expiry: topic ${r.topic.slice(0, 16)}: deleted ${r.deleted} expired chunk(s), ${r.bytesDeleted} bytes (${r.bytesFreed} bytes of disk freed by compaction); ${r.kept} unexpired kept`);
      }
    } catch (err) {
      if (!this.stopping) this.log('warn', `chunk expiry failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private log(level: 'info' | 'warn', text: string): void {
    this.init.log?.(level, text);
  }

  addresses(): string[] {
    return this.transport.addresses();
  }

  get publicKey(): Uint8Array {
    return this.transport.publicKey;
  }

  status(): BrokerStatus {
    const topics = this.broker.topicSummaries();
    const chunkTopics = this.chunks.summaries();
    return {
      running: !this.stopping,
      peerKey: publicKeyToText(this.transport.publicKey),
      addresses: this.transport.addresses(),
      policy: this.broker.policy,
      clients: this.channels.size,
      peerBrokers: [...this.peerState].map(([addr, s]) => ({ addr, connected: s.connected })),
      topics,
      events: topics.reduce((a, t) => a + t.events, 0),
      bytes: topics.reduce((a, t) => a + t.bytes, 0),
      chunkTopics,
      chunks: chunkTopics.reduce((a, t) => a + t.chunks, 0),
      chunkBytes: chunkTopics.reduce((a, t) => a + t.bytes, 0),
      refused: { ...this.broker.refusals(), channelsCutByTransport: Object.fromEntries(this.channelErrors) },
      relay: { ...this.relayGate.status(), reservations: 0, circuits: 0, ...this.transport.relayStatus?.() },
      ...(this.overlay ? { overlay: this.overlay.status() } : {}),
      ringAsks: this.broker.ringAsks(),
      updatedAt: new Date(this.clock.now()).toISOString(),
    };
  }

  // ---- channels ----

  private accept(channel: FrameChannel, kind: ChannelKind): Promise<void> {
    if (this.stopping) {
      void channel.close();
      return Promise.resolve();
    }
    const id = `c${this.nextChannel++}` as ChannelId;
    const rt: ChannelRuntime = { id, channel, queue: [], queuedBytes: 0, scheduled: false };
    this.channels.set(id, rt);
    const who = publicKeyToText(channel.remote).slice(0, 16);
    this.log('info', `${id} connected: ${who}${kind === 'peer-broker' ? ' (peer broker, outbound)' : kind === 'ring' ? ' (ring link)' : ''}`);
    const source = { peer: toHex(channel.remote), ...(channel.remoteAddress !== undefined ? { address: channel.remoteAddress } : {}) };
    this.apply(this.broker.connect(id, this.clock.now(), { peerBroker: kind === 'peer-broker', ringLink: kind === 'ring', source }));
    const remoteId = publicKeyToText(channel.remote);
    if (kind === 'ring') this.ringLinkOpened(remoteId, id);
    const done = (async () => {
      try {
        for await (const frame of channel.frames()) {
          if (this.stopping) break;
          if (this.tracing) this.traceFrame(id, frame);
          try {
            this.apply(this.broker.receive(id, frame, this.clock.now()));
          } catch (err) {
            this.log('warn', `${id}: internal error on input: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
          }
          if (!this.broker.readable(id)) await this.windowRoom(id, channel);
        }
      } catch (err) {
        this.log('warn', `${id}: read failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.channels.delete(id);
        if (kind === 'ring') this.ringLinkClosed(remoteId, id);
        this.relayGate.channelClosed(id);
        this.broker.disconnect(id);
        this.chunks.disconnect(id);
        void channel.close().catch(() => {});
        this.log('info', `${id} disconnected${channel.closeReason ? `: ${channel.closeReason.message}` : ''}`);
      }
    })();
    return done;
  }

  /** With `trace`: when each event arrives, to follow a keystroke end to end. */
  private traceFrame(channel: ChannelId, frame: Uint8Array): void {
    try {
      const msg = decodeWire(frame);
      if (msg.type === 'event') this.log('info', `trace broker-received ${decodeCommitEnvelope(msg.commit).id.slice(0, 12)} ${this.clock.now()} from ${channel}`);
    } catch {
      // the broker itself reports what does not decode
    }
  }

  /** Resolves once the channel's publish window has room again (or the channel or broker stops). */
  private windowRoom(id: ChannelId, channel: FrameChannel): Promise<void> {
    return new Promise((resolve) => {
      const stopWatching = channel.onClose(() => wake());
      const wake = (): void => {
        this.windowWaiters.delete(id);
        stopWatching();
        resolve();
      };
      this.windowWaiters.set(id, wake);
    });
  }

  /** After stores complete: readers waiting for their window read on. */
  private wakeReaders(): void {
    for (const [id, wake] of [...this.windowWaiters]) if (this.stopping || this.broker.readable(id)) wake();
  }

  private apply(out: BrokerOutput): void {
    for (const n of out.notices) this.log(n.level, n.channel ? `${n.channel}: ${n.text}` : n.text);
    for (const s of out.send) this.enqueue(s.to, s.frame);
    for (const w of out.chunks) this.chunks.handle(w);
    for (const d of out.relay) this.relayGate.decided(d);
    for (const t of out.carried) this.overlay?.carry(toHex(t));
    for (const req of out.store) {
      // Group commit: every request of this turn for a topic goes into one append (one
      // write + one fdatasync); each request is reported stored() only once it is durable.
      let batch = this.storeBatches.get(req.topicHex);
      if (!batch) this.storeBatches.set(req.topicHex, (batch = { topicHex: req.topicHex, ids: [], records: [] }));
      batch.ids.push(req.id);
      for (const r of req.records) batch.records.push(r);
    }
    if (this.storeBatches.size > 0 && !this.storeFlushScheduled) {
      this.storeFlushScheduled = true;
      this.clock.soon(() => this.flushStores());
    }
    for (const c of out.close) {
      const rt = this.channels.get(c.channel);
      if (rt) void rt.channel.close().catch(() => {});
    }
  }

  /** Runs after the frames that arrived in this turn were handled. */
  private flushStores(): void {
    this.storeFlushScheduled = false;
    const batches = [...this.storeBatches.values()];
    this.storeBatches.clear();
    for (const b of batches) {
      const p = this.init.events
        .append(b.topicHex, b.records)
        .then(
          () => {
            const now = this.clock.now();
            if (this.tracing) for (const r of b.records) if (r[0] === COMMIT_KIND) this.log('info', `trace broker-stored ${decodeCommitEnvelope(r).id.slice(0, 12)} ${now}`);
            for (const id of b.ids) this.apply(this.broker.stored(id, now));
            this.wakeReaders();
          },
          (err: unknown) => {
            const reason = err instanceof Error ? err.message : String(err);
            const now = this.clock.now();
            for (const id of b.ids) this.apply(this.broker.storeFailed(id, reason, now));
            this.wakeReaders();
          },
        )
        .catch((err: unknown) => this.log('warn', `internal error after a store: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));
      this.pendingStores.add(p);
      void p.finally(() => this.pendingStores.delete(p));
    }
  }

  private enqueue(to: ChannelId, frame: Uint8Array): void {
    if (to === OVERLAY_CHANNEL) {
      this.toOverlay(frame);
      return;
    }
    const rt = this.channels.get(to);
    if (!rt || rt.channel.closed) return;
    rt.queue.push(frame);
    rt.queuedBytes += frame.length;
    if (rt.queuedBytes > (this.init.maxQueuedBytes ?? 64 * 1024 * 1024)) {
      this.log('warn', `${to}: closing a connection that reads too slowly (${rt.queuedBytes} bytes queued)`);
      rt.queue.length = 0;
      rt.queuedBytes = 0;
      void rt.channel.close().catch(() => {});
      return;
    }
    if (!rt.scheduled) {
      rt.scheduled = true;
      this.sendReady.add(rt);
      if (!this.sendFlushScheduled) {
        this.sendFlushScheduled = true;
        queueMicrotask(() => this.flushSends());
      }
    }
  }

  /**
   * Hands every queued frame to its channel at once (never awaiting one send before the
   * next): the channel batches frames sent in the same tick into one stream write, so
   * many events to one subscriber cost one yamux frame and one encryption. The bytes
   * stay counted against maxQueuedBytes until their send completes (the channel applies
   * the remote's backpressure), so a reader that does not keep up is still closed.
   */
  private flushSends(): void {
    this.sendFlushScheduled = false;
    const ready = [...this.sendReady];
    this.sendReady.clear();
    for (const rt of ready) {
      rt.scheduled = false;
      const frames = rt.queue.splice(0);
      if (rt.channel.closed) {
        rt.queuedBytes = 0;
        continue;
      }
      for (const frame of frames) {
        rt.channel.send(frame).then(
          () => {
            rt.queuedBytes -= frame.length;
          },
          () => {
            // The channel closed under us; its reader loop cleans up.
          },
        );
      }
    }
  }

  // ---- peer brokers ----

  private async peerLoop(addr: string): Promise<void> {
    const state = { connected: false };
    this.peerState.set(addr, state);
    let delay = 500;
    while (!this.stopping) {
      try {
        const peer = await this.transport.dial(addr);
        const channel = await this.transport.openChannel(peer.publicKey, PUBSUB_PROTOCOL);
        state.connected = true;
        delay = 500;
        this.log('info', `connected to peer broker ${addr}`);
        await this.accept(channel, 'peer-broker');
        state.connected = false;
        if (!this.stopping) this.log('warn', `lost peer broker ${addr}; reconnecting`);
      } catch (err) {
        state.connected = false;
        if (this.stopping) break;
        this.log('warn', `peer broker ${addr} unreachable (${err instanceof Error ? err.message : String(err)}); retry in ${delay} ms`);
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, 30_000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        cancel();
        this.wakeups.delete(wake);
        resolve();
      };
      const cancel = this.clock.after(ms, wake);
      this.wakeups.add(wake);
    });
  }

  /** Writes the store requests gathered so far and waits for every pending store. */
  private async settleStores(): Promise<void> {
    while (this.storeBatches.size > 0 || this.pendingStores.size > 0) {
      if (this.storeBatches.size > 0) this.flushStores();
      await Promise.allSettled([...this.pendingStores]);
    }
  }

  /** Stops accepting, closes connections, waits for pending stores, closes the database. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log('info', 'shutting down');
    this.stopExpiry?.();
    this.stopRingLinks?.();
    this.relayGate.stop();
    this.unhandle?.();
    await this.overlay?.stop();
    for (const w of [...this.wakeups]) w();
    this.wakeReaders();
    for (const rt of this.channels.values()) void rt.channel.close().catch(() => {});
    await this.settleStores();
    await this.transport.stop().catch(() => {});
    await Promise.allSettled(this.peerLoops);
    await this.settleStores();
    await this.init.events.close();
    await this.chunks.close();
    this.log('info', 'stopped');
  }
}
