/**
 * The peer runtime: a ShareNode, a Transport and the causal multicast state machine,
 * with the I/O they need (channels, timers, reconnects). One runtime per share.
 *
 * - Brokers (configured multiaddrs) are dialled and redialled with backoff; other
 *   addresses (an invitation's peers) likewise, their role learnt from HELLO.
 * - Incoming channels on PUBSUB_PROTOCOL are served; with mDNS, discovered LAN peers
 *   are dialled (by the side with the smaller key, so one channel per pair).
 * - On a channel: HELLO and SUBSCRIBE first. A peer becomes a multicast neighbour once
 *   its SUBSCRIBE shares a topic with ours; a broker at once. A node holding no keys
 *   yet (a joiner) first sends KEYREQ for its own key and waits for KEYS.
 * - Local commits are published only after ShareNode.commit() stored them; received
 *   commits are merged (and stored) by ShareNode.receive, one at a time, in order.
 * - KEYREQ from anyone is answered with the member's sealed key boxes, signed with the
 *   current topic key; an admin publishes KEYS for every member to its brokers, so a
 *   joiner can fetch them while the granter is offline.
 * - Binary objects (peer-objects.ts): storeObject / fetchObject / saveObject over a local
 *   ChunkStore, reading and writing files only through the ObjectSource and ObjectSink
 *   the caller opens (protocol/src/ports/object-files.ts); CHUNKWANT from any link is
 *   answered from the store; CHUNK answers and CHUNKHAVE are handled as they arrive (not
 *   behind merges in the work queue). collectGarbage deletes chunks no kept version of a
 *   listed file needs (peer-gc.ts); the caller runs it.
 * - Across NATs (peer-nat.ts): a relay slot on each broker that grants one, our addresses
 *   (relayed ones too) in our presence, teammates dialled at theirs (smaller key dials),
 *   and for status how each teammate is connected.
 * - Events for the UI: 'changes', 'status', 'presence', 'merged', 'log', 'transfer'.
 *
 * Test hook: `dropRate` (the simulator sets it) drops that fraction
 * of outgoing data frames (EVENT, ACK, WANT, PRESENCE) to exercise repair. Handshake
 * and catch-up frames are exempt: on TCP a loss is a broken connection, not a frame.
 */
import { bytesEqual, toHex } from '../src/crypto/index.js';
import { decodeCommitEnvelope, type CommitEnvelope } from '../src/log/commit.js';
import type { CommitId } from '../src/log/ids.js';
import { CausalMulticast, type MulticastOutput, type NeighbourRole } from '../src/multicast/causal-multicast.js';
import { openPresence, PresenceError, PresenceTable, sealPresence, type PresenceEntry, type PresenceSelection } from '../src/multicast/presence.js';
import { decodeWire, encodeWire, PUBSUB_PROTOCOL, type WireMessage } from '../src/multicast/wire.js';
import type { ShareNode } from '../src/node/share-node.js';
import { topicHex } from '../src/share/keys.js';
import { canAdminister } from '../src/share/roles.js';
import type { MergeResult, ReplicaChange } from '../src/share/replica.js';
import type { RejectReason } from '../src/log/errors.js';
import type { FrameChannel, Transport } from '../src/ports/transport.js';
import type { ObjectRef } from '../src/chunks/index.js';
import type { ChunkStore } from '../src/ports/chunk-store.js';
import type { ObjectSink, ObjectSource } from '../src/ports/object-files.js';
import { every, type Clock, type Random } from '../src/ports/clock.js';
import { ChunkRequester } from './chunk-transfer.js';
import { KeyAsking, keysAreForUs, keysMessageFor, keysToPublish } from './peer-keys.js';
import type { PeerGarbageCollectionOptions, PeerGarbageCollectionReport } from './peer-gc.js';
import { PeerObjects, type FetchObjectOptions, type ObjectFetchReport, type TransferEvent } from './peer-objects.js';
import { PeerNat } from './peer-nat.js';
import type { TeammateConnection } from './teammate-connection.js';

export type { TeammateConnection } from './teammate-connection.js';
export { DEFAULT_PEER_GC_GRACE_MS, describeGarbageCollection, type PeerGarbageCollectionOptions, type PeerGarbageCollectionReport } from './peer-gc.js';
export { ShareKeysMissingError, ObjectUnavailableError, FetchAbortedError, type FetchObjectOptions, type ObjectFetchReport, type TransferEvent } from './peer-objects.js';

export const PEER_SOFTWARE = 'weft/0.1.0';
const PRESENCE_REFRESH_MS = 10_000;
const KEYREQ_RETRY_MS = 1000;

export interface PeerAddress {
  role: 'peer' | 'broker';
  addr: string;
}

export interface PeerRuntimeInit {
  node: ShareNode;
  transport: Transport;
  /** Brokers and peers to keep connected to (multiaddrs). */
  addresses?: PeerAddress[];
  /** Dial peers found by mDNS (the transport must have mdns on). */
  mdns?: boolean;
  /** Display name in presence. */
  name?: string;
  /** A joiner's topics before any commit is merged (from the invitation). */
  invitationTopics?: Uint8Array[];
  gapDelayMs?: number;
  /** Test hook: fraction of outgoing data frames to drop. Default 0. */
  dropRate?: number;
  /** One log line per commit and stage, to follow a keystroke end to end (WEFT_TRACE=1 in bin/ and the extension). */
  trace?: boolean;
  /** Where binary objects' encrypted chunks live. */
  chunks: ChunkStore;
  /**
   * Across NATs (peer-nat.ts): relay slots on brokers, our addresses in presence, teammates
   * dialled at theirs. Default: on when the transport can reserve relay slots (libp2p); off
   * on the simulator's memory transport, whose seeded runs stay as they were.
   */
  nat?: boolean;
  /** Time and timers (protocol/platform/system-clock.ts, or a simulator's). */
  clock: Clock;
  /** Reconnection jitter. */
  random: Random;
}

export interface PeerStatus {
  /** Brokers connected, counted by node (however many addresses reach one). */
  brokers: number;
  /** Their public keys (hex), so several shares on one broker count it once. */
  brokerKeys: string[];
  peers: number;
  /** Neighbours with a catch-up under way. */
  syncing: number;
  commits: number;
  /** True once this node holds keys to read the share. */
  joined: boolean;
  /**
   * Addresses we cannot reach right now and dial again after a backoff (0.5 s doubling to
   * 10 s, with jitter so that a team reconnecting at once spreads out): when the next
   * attempt is (clock ms) and why the last one failed.
   */
  retrying: RetryingDial[];
  /** The teammates present (presence), and how we reach each: direct, relayed through which broker, or not. */
  teammates: TeammateConnection[];
}

export interface RetryingDial {
  readonly role: 'peer' | 'broker';
  readonly addr: string;
  /** Failed attempts in a row. */
  readonly attempts: number;
  /** When the next attempt starts (the runtime's clock, ms). */
  readonly nextAt: number;
  readonly reason: string;
}

/** A teammate's commit this replica refused (protected path, revoked author, bad signature, ...). */
export interface RefusedCommit {
  readonly id: CommitId | undefined;
  /** Hex key of the author, when its signature verified. */
  readonly author: string | undefined;
  /** The author's name as this share knows it, else its key's first characters. */
  readonly authorName: string;
  readonly reason: RejectReason;
  readonly detail: string;
}

export interface PeerRuntimeEvents {
  changes: ReplicaChange[];
  refused: RefusedCommit;
  status: PeerStatus;
  presence: PresenceEntry[];
  merged: CommitId[];
  log: string;
  transfer: TransferEvent;
}

interface Link {
  readonly id: string;
  readonly channel: FrameChannel;
  readonly remoteHex: string;
  /** The address we dialled it at (keepConnected), if we did. */
  readonly addr?: string;
  role: NeighbourRole | undefined;
  /** A multicast neighbour (subscribed, keys held). */
  joined: boolean;
  /** Its SUBSCRIBE, kept until we can connect it. */
  subscribe?: WireMessage;
  /** Our CHUNKWANTs to it and their answers. */
  readonly requester: ChunkRequester;
}

type Listeners = { [K in keyof PeerRuntimeEvents]: Set<(v: PeerRuntimeEvents[K]) => void> };

export class PeerRuntime {
  readonly node: ShareNode;
  readonly transport: Transport;
  readonly mc: CausalMulticast;
  private readonly addresses: PeerAddress[];
  private readonly links = new Map<string, Link>();
  private readonly tracing: boolean;
  private readonly dialling = new Set<string>();
  private readonly presenceTable = new PresenceTable();
  private readonly listeners: Listeners = { changes: new Set(), refused: new Set(), status: new Set(), presence: new Set(), merged: new Set(), log: new Set(), transfer: new Set() };
  private readonly invitationTopics: Uint8Array[];
  private readonly dropRate: number;
  private readonly name: string;
  private work: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private readonly random: Random;
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private stopRefresh: (() => void) | undefined;
  private stopKeyRetry: (() => void) | undefined;
  private readonly keyAsking = new KeyAsking();
  private stopped = false;
  private linkSeq = 0;
  /** Bytes of every frame received (for benchmarks and status). */
  bytesReceived = 0;
  private topicsKey = '';
  /** The members lacking keys last logged (see handOverOwedKeys), so the log says it once. */
  private lackingReported = '';
  private keysPublished = new Set<string>();
  private presenceCounter: number;
  private myPresence: { file: string; selections: PresenceSelection[] } = { file: '', selections: [] };
  private readonly sleepers = new Set<() => void>();
  /** Addresses waiting to be dialled again, by address. */
  private readonly retrying = new Map<string, RetryingDial>();
  private readonly objects: PeerObjects;
  private readonly nat: PeerNat;
  /** Across NATs (PeerRuntimeInit.nat). */
  private readonly natEnabled: boolean;

  constructor(init: PeerRuntimeInit) {
    this.node = init.node;
    this.clock = init.clock;
    this.random = init.random;
    this.presenceCounter = init.clock.now();
    this.objects = new PeerObjects({
      replica: init.node.replica,
      store: init.chunks,
      links: () => this.links.values(),
      emit: (e) => this.emit('transfer', e),
      log: (line) => this.log(line),
      sleep: (ms) => this.sleep(ms),
      now: () => this.clock.now(),
      stopped: () => this.stopped,
    });
    this.transport = init.transport;
    this.natEnabled = init.nat ?? init.transport.listenViaRelay !== undefined;
    this.nat = new PeerNat({
      enabled: this.natEnabled,
      transport: init.transport,
      replica: init.node.replica,
      random: init.random,
      stopped: () => this.stopped,
      sleep: (ms) => this.sleep(ms),
      log: (line) => this.log(line),
      meHex: () => this.meHex,
      channelsTo: (hex) => [...this.links.values()].filter((l) => l.remoteHex === hex && !l.channel.closed).map((l) => l.channel),
      send: (channel, msg) => {
        for (const l of this.links.values()) if (l.channel === channel) this.sendRaw(l, msg);
      },
      attach: (channel) => this.attach(channel, undefined),
      present: () => this.presenceTable.list(),
      brokerAddress: (hex) => [...this.links.values()].find((l) => l.remoteHex === hex && l.role === 'broker' && l.addr !== undefined)?.addr,
    });
    // One dial loop per address: an invitation and the settings often name the same broker.
    const byAddr = new Map<string, PeerAddress>();
    for (const a of init.addresses ?? []) if (!byAddr.has(a.addr) || a.role === 'broker') byAddr.set(a.addr, a);
    this.addresses = [...byAddr.values()];
    this.invitationTopics = init.invitationTopics ?? [];
    this.name = init.name ?? 'peer';
    this.tracing = init.trace ?? false;
    this.dropRate = init.dropRate ?? 0;
    const replica = this.node.replica;
    this.mc = new CausalMulticast({ replica, topics: () => this.topics(), ...(init.gapDelayMs !== undefined ? { gapDelayMs: init.gapDelayMs } : {}) });
    this.topicsKey = this.topics().map(toHex).join();
    if (init.mdns) {
      this.transport.on('peer:discovery', (info) => {
        const hex = toHex(info.publicKey);
        if (this.stopped || hex <= this.meHex || this.connectedTo(hex) || this.dialling.has(hex)) return;
        this.dialling.add(hex);
        this.transport
          .openChannel(info.publicKey, PUBSUB_PROTOCOL)
          .then((ch) => {
            this.log(`found LAN peer ${hex.slice(0, 12)} by mDNS`);
            return this.attach(ch, undefined);
          })
          .catch((err: unknown) => this.log(`cannot reach LAN peer ${hex.slice(0, 12)}: ${message(err)}`))
          .finally(() => this.dialling.delete(hex));
      });
    }
  }

  private get meHex(): string {
    return this.node.replica.meHex;
  }

  on<K extends keyof PeerRuntimeEvents>(event: K, listener: (v: PeerRuntimeEvents[K]) => void): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  private emit<K extends keyof PeerRuntimeEvents>(event: K, v: PeerRuntimeEvents[K]): void {
    for (const l of this.listeners[event]) {
      try {
        l(v);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private log(line: string): void {
    this.emit('log', line);
  }

  /** Why a commit stored without effect has none, for the member reading the panel; a fork names its two commits (the proof). */
  private withoutEffect(reason: RejectReason, author: string | undefined): string {
    const proof = reason === 'forked' && author !== undefined ? this.node.replica.forks().get(author) : undefined;
    if (proof) return `stored without effect: its author signed two concurrent commits (${proof[0].slice(0, 12)} and ${proof[1].slice(0, 12)}), so nothing of theirs from then on reaches the share`;
    return 'stored without effect: nothing of it reaches the share';
  }

  private reportRefused(x: Extract<MergeResult, { status: 'rejected' }>): void {
    const authorName = x.author ? this.node.replica.memberName(x.author) : 'an unknown author';
    const refused: RefusedCommit = { id: x.id, author: x.author, authorName, reason: x.reason, detail: x.detail };
    this.log(`refused a commit${x.id ? ` ${x.id.slice(0, 12)}` : ''} from ${authorName} (${x.reason}): ${x.detail}`);
    this.emit('refused', refused);
  }

  /** With `trace`: one log line per commit and stage, to follow a keystroke end to end. */
  private trace(stage: string, id: CommitId): void {
    if (this.tracing) this.log(`trace ${stage} ${id.slice(0, 12)} ${this.clock.now()}`);
  }

  /** Serves incoming channels and starts dialling. The transport must be started. */
  start(): void {
    this.transport.handle(PUBSUB_PROTOCOL, (ch) => {
      void this.attach(ch, undefined);
    });
    for (const a of this.addresses) void this.keepConnected(a);
    // New addresses (a relay slot reserved or lost) go to teammates at once.
    this.transport.on('addresses', () => void this.enqueue(async () => this.sendPresence(false)));
    this.stopRefresh = every(this.clock, PRESENCE_REFRESH_MS, () => void this.enqueue(async () => this.refreshPresence()), true);
    // A joiner asks again until some neighbour (or a broker, once the granter published) has its keys.
    this.stopKeyRetry = every(this.clock, KEYREQ_RETRY_MS, () => this.askForKeys(), true);
  }

  /** Says goodbye (presence 'leaving'), closes every channel. Does not stop the transport. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.enqueue(async () => this.sendPresence(true));
    this.stopped = true;
    this.cancelTimer?.();
    this.stopRefresh?.();
    this.stopKeyRetry?.();
    for (const wake of this.sleepers) wake();
    await this.work;
    await Promise.all([...this.links.values()].map((l) => l.channel.close().catch(() => undefined)));
  }

  status(): PeerStatus {
    // Counted by node (public key), not by channel or address.
    const brokers = new Set<string>();
    const peers = new Set<string>();
    for (const l of this.links.values()) {
      if (!l.joined) continue;
      (l.role === 'broker' ? brokers : peers).add(l.remoteHex);
    }
    return { brokers: brokers.size, brokerKeys: [...brokers], peers: peers.size, syncing: this.mc.syncing(), commits: this.node.replica.graph.size, joined: this.hasKeys(), retrying: [...this.retrying.values()], teammates: this.nat.teammates() };
  }

  presence(): PresenceEntry[] {
    return this.presenceTable.list();
  }

  /** Commits what the replica has staged (stored first), then publishes it. */
  commit(): Promise<CommitEnvelope | undefined> {
    return this.enqueue(async () => {
      const envs = await this.node.commitAll();
      for (const env of envs) {
        this.trace('stored', env.id);
        await this.handle(this.mc.localCommit(env.bytes, this.clock.now()));
        this.trace('sent', env.id);
      }
      if (envs.length) this.afterStateChange();
      return envs.at(-1);
    });
  }

  /**
   * Test hook: pushes a commit envelope made elsewhere as if this node had just committed
   * it (to every neighbour subscribed to its topic, resent until acknowledged), without
   * storing or merging it here. The simulator's dishonest member uses it to publish what
   * it signed on another replica with the same key (protocol/sim/dishonest-member.ts); an
   * honest node's commits go through commit(), stored first.
   */
  publishForeign(bytes: Uint8Array): Promise<void> {
    return this.enqueue(async () => this.handle(this.mc.localCommit(bytes, this.clock.now())));
  }

  /** Where this member is: file and selections, sent now and refreshed until stop(). */
  setPresence(file: string, selections: PresenceSelection[] = []): Promise<void> {
    this.myPresence = { file, selections };
    return this.enqueue(async () => this.sendPresence(false));
  }

  // ---------------------------------------------------------------- binary objects

  /**
   * Chunks, encrypts and stores `input` (bytes, or a file's bytes as they are read) in the
   * local chunk store and offers its chunks to the brokers. Returns the reference to
   * commit with replica.setBinary(file, encodeObjectRef(ref)).
   * Throws ShareKeysMissingError before this node holds the share's keys.
   */
  storeObject(input: Uint8Array | ObjectSource): Promise<ObjectRef> {
    return this.objects.storeObject(input);
  }

  /**
   * Makes every chunk of `ref` local, fetching the missing ones from connected peers and
   * brokers (many in flight, each verified; tampered ones fetched elsewhere). Progress:
   * `opts.onProgress` and 'transfer' events. Retries as links come and go until
   * `opts.timeoutMs` (default 120 s), then ObjectUnavailableError; FetchAbortedError on
   * `opts.signal` or stop(); CorruptObjectError when the reference itself is wrong.
   */
  fetchObject(ref: ObjectRef, opts?: FetchObjectOptions): Promise<ObjectFetchReport> {
    return this.objects.fetchObject(ref, opts);
  }

  /** True when every chunk of `ref` is stored locally. */
  hasObject(ref: ObjectRef): Promise<boolean> {
    return this.objects.hasObject(ref);
  }

  /** The object's bytes from the local store, one chunk at a time (MissingChunkError: fetch first). */
  readObject(ref: ObjectRef): AsyncGenerator<Uint8Array> {
    return this.objects.readObject(ref);
  }

  /** Writes a locally stored object into `sink` and commits it (whole or not at all); `beforeReplace` may veto. */
  saveObject(ref: ObjectRef, sink: ObjectSink, beforeReplace?: () => Promise<boolean>): Promise<boolean> {
    return this.objects.saveObject(ref, sink, beforeReplace);
  }

  /**
   * Deletes the local chunks that no kept version of a listed binary file reaches and
   * that are older than `opts.graceMs` (default 1 hour, so an object stored and not
   * committed yet survives). See peer-gc.ts. ShareKeysMissingError before joining.
   */
  collectGarbage(opts?: PeerGarbageCollectionOptions): Promise<PeerGarbageCollectionReport> {
    return this.objects.collectGarbage(opts);
  }

  // ---------------------------------------------------------------- connections

  private topics(): Uint8Array[] {
    const t = this.node.replica.topicsNewestFirst();
    return t.length ? t : this.invitationTopics;
  }

  /**
   * Has the share's log arrived: a sync with a broker or teammate finished since we hold
   * its keys (a joiner's files wait for it). The owner's share started here: its log is
   * whatever this replica holds.
   */
  caughtUp(): boolean {
    return this.hasKeys() && (this.node.replica.myRole() === 'owner' || this.mc.caughtUp());
  }

  private hasKeys(): boolean {
    return this.node.replica.heldEpochs().length > 0;
  }

  private connectedTo(remoteHex: string): boolean {
    for (const l of this.links.values()) if (l.remoteHex === remoteHex && !l.channel.closed) return true;
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        cancel();
        this.sleepers.delete(done);
        resolve();
      };
      const cancel = this.clock.after(ms, done);
      this.sleepers.add(done);
    });
  }

  /**
   * Dials an address and redials with backoff (0.5 s doubling to 10 s) whenever the channel
   * ends. A failed dial waits between half and one and a half times the backoff (jitter: 50
   * teammates behind one NAT whose broker restarts do not all dial again in the same
   * instant), and the status lists the address as retrying meanwhile.
   */
  private async keepConnected(a: PeerAddress): Promise<void> {
    let backoff = 500;
    let failures = 0;
    while (!this.stopped) {
      try {
        const info = await this.transport.dial(a.addr);
        if (this.stopped) return;
        // One channel per node: a broker or peer reached by several addresses (TCP and
        // WebSockets) would otherwise get every event twice, on two channels that race.
        if (this.connectedTo(toHex(info.publicKey))) {
          await this.sleep(2000);
          continue;
        }
        const ch = await this.transport.openChannel(info.publicKey, PUBSUB_PROTOCOL);
        if (this.connectedTo(toHex(info.publicKey))) {
          void ch.close().catch(() => undefined);
          continue;
        }
        backoff = 500;
        failures = 0;
        this.setRetrying(a.addr, undefined);
        this.log(`connected to ${a.role} ${a.addr}`);
        await this.attach(ch, a.role === 'broker' ? 'broker' : undefined, a.addr);
        if (!this.stopped) this.log(`disconnected from ${a.role} ${a.addr}`);
      } catch (err) {
        if (this.stopped) return;
        const wait = Math.floor(backoff / 2 + this.random() * backoff);
        failures++;
        this.setRetrying(a.addr, { role: a.role, addr: a.addr, attempts: failures, nextAt: this.clock.now() + wait, reason: message(err) });
        this.log(`cannot reach ${a.role} ${a.addr}: ${message(err)} (attempt ${failures}; retrying in ${wait} ms)`);
        await this.sleep(wait);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      if (this.stopped) return;
      await this.sleep(backoff + Math.floor(this.random() * 200));
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  private setRetrying(addr: string, entry: RetryingDial | undefined): void {
    if (entry) this.retrying.set(addr, entry);
    else if (!this.retrying.delete(addr)) return;
    this.emitStatus();
  }

  /** Runs a channel until it ends: handshake, then every frame through the work queue. */
  private async attach(channel: FrameChannel, role: NeighbourRole | undefined, addr?: string): Promise<void> {
    const remoteHex = toHex(channel.remote);
    const link: Link = { id: `${remoteHex.slice(0, 12)}#${++this.linkSeq}`, channel, remoteHex, ...(addr !== undefined ? { addr } : {}), role, joined: false, requester: new ChunkRequester((f) => channel.send(f)) };
    this.links.set(link.id, link);
    await this.enqueue(async () => {
      this.sendRaw(link, { type: 'hello', role: 'peer', software: PEER_SOFTWARE });
      const topics = this.topics();
      if (topics.length) this.sendRaw(link, { type: 'subscribe', topics });
      if (!this.hasKeys() && topics[0]) this.sendRaw(link, { type: 'keyreq', topic: topics[0], member: this.node.replica.me.publicKey });
      if (role === 'broker') await this.tryJoin(link);
    });
    try {
      for await (const frame of channel.frames()) {
        this.bytesReceived += frame.length;
        let msg: WireMessage;
        try {
          msg = decodeWire(frame);
        } catch (err) {
          this.log(`dropped a malformed frame from ${link.id}: ${message(err)}`);
          continue;
        }
        if (this.tracing && msg.type === 'event') this.trace(`received-from-${link.role ?? 'unknown'}`, decodeCommitEnvelope(msg.commit).id);
        if (msg.type === 'chunk') {
          if (!link.requester.deliver(msg.id, msg.bytes)) {
            this.log(`${link.id} answered chunks out of order: closing the channel`);
            void channel.close().catch(() => undefined);
          }
        } else if (msg.type === 'chunkwant') this.objects.serve(link, msg.ids);
        else if (msg.type === 'chunkhave') this.objects.confirm(link, msg.ids);
        else void this.enqueue(() => this.onMessage(link, msg));
      }
    } catch (err) {
      this.log(`channel ${link.id} failed: ${message(err)}`);
    }
    link.requester.fail(new Error(`channel ${link.id} closed`));
    this.objects.linkClosed(link);
    await this.enqueue(async () => {
      this.links.delete(link.id);
      if (link.joined) this.mc.disconnected(link.id);
      this.emitStatus();
    });
  }

  /** Makes a link a multicast neighbour once its role is known, it shares a topic, and we hold keys. */
  private async tryJoin(link: Link): Promise<void> {
    if (link.joined || !link.role || !this.hasKeys()) return;
    if (link.role === 'peer') {
      const sub = link.subscribe;
      if (sub?.type !== 'subscribe') return;
      const ours = new Set(this.topics().map(toHex));
      if (!sub.topics.some((t) => ours.has(toHex(t)))) return;
    }
    link.joined = true;
    await this.handle(this.mc.connected(link.id, link.role, this.clock.now()));
    if (link.subscribe) await this.handle(this.mc.receive(link.id, link.subscribe, this.clock.now()));
    if (link.role === 'broker') {
      void this.nat.brokerJoined(link.channel, link.addr);
      this.publishKeys(link, true);
      void this.objects.brokerJoined(link).catch((err: unknown) => this.log(`could not offer chunks to ${link.id}: ${message(err)}`));
    }
    void this.sendPresence(false);
    this.emitStatus();
  }

  private async onMessage(link: Link, msg: WireMessage): Promise<void> {
    if (this.stopped) return;
    if (msg.type === 'hello') {
      if (!link.role) {
        link.role = msg.role;
        await this.tryJoin(link);
      }
      return;
    }
    if (!link.joined) {
      if (msg.type === 'subscribe') {
        link.subscribe = msg;
        await this.tryJoin(link);
      } else if (msg.type === 'keys' || msg.type === 'keyreq') await this.onKeys(link, msg);
      return;
    }
    if (msg.type === 'subscribe') link.subscribe = msg;
    const out = this.mc.receive(link.id, msg, this.clock.now());
    await this.handle(out);
    // A sync message without commits (e.g. the peer's final heads) can finish a session:
    // poll it too (handle() only polls after merging deliveries), or it stays "syncing".
    if (msg.type === 'sync' && out.deliver.length === 0) await this.handle(this.mc.merged(this.clock.now()));
  }

  // ---------------------------------------------------------------- outputs

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.work.then(fn);
    this.work = p.then(
      () => undefined,
      (err: unknown) => this.log(`internal error: ${message(err)}`),
    );
    return p;
  }

  private sendRaw(link: Link, msg: WireMessage): void {
    if (link.channel.closed) return;
    if (this.dropRate > 0 && (msg.type === 'event' || msg.type === 'ack' || msg.type === 'want' || msg.type === 'presence') && this.random() < this.dropRate) return;
    link.channel.send(encodeWire(msg)).catch(() => undefined);
  }

  private async handle(out: MulticastOutput): Promise<void> {
    for (const s of out.send) {
      const link = this.links.get(s.to);
      if (link) this.sendRaw(link, s.msg);
    }
    for (const d of out.dropped) this.log(`dropped input from ${d.from}: ${d.reason}`);
    for (const p of out.presence) this.onPresence(p.topic, p.payload);
    for (const o of out.other) {
      const link = this.links.get(o.from);
      if (link && (o.msg.type === 'keys' || o.msg.type === 'keyreq')) await this.onKeys(link, o.msg);
      else if (o.msg.type === 'error') this.log(`${o.from} says ${o.msg.code}: ${o.msg.reason}`);
    }
    if (out.deliver.length) {
      const merged: CommitId[] = [];
      for (const d of out.deliver) {
        try {
          // The changes go out at once, in the replica's current coordinates: a local edit
          // made while the commit is being stored must come after them, not before.
          const r = await this.node.receive(d.commit, (o) => {
            if (o.changes.length) this.emit('changes', o.changes);
          });
          for (const x of r.results) {
            if (x.status === 'merged') merged.push(x.id);
            if (x.status === 'rejected') this.reportRefused(x);
            // Stored (its descendants need it) but without effect: refused all the same.
            else if (x.status === 'merged' && !x.effective && x.reason) this.reportRefused({ status: 'rejected', id: x.id, reason: x.reason, detail: this.withoutEffect(x.reason, x.author), ...(x.author ? { author: x.author } : {}) });
          }
          for (const id of merged) this.trace('merged', id);
        } catch (err) {
          this.log(`could not merge a commit from ${d.from}: ${message(err)}`);
        }
      }
      if (merged.length) this.emit('merged', merged);
      this.afterStateChange();
      await this.handle(this.mc.merged(this.clock.now()));
    }
    this.schedule(out.nextTickAt);
  }

  private schedule(at: number | undefined): void {
    if (at === undefined || this.stopped || at >= this.timerAt) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.clock.after(Math.max(0, at - this.clock.now()), () => {
      this.cancelTimer = undefined;
      this.timerAt = Infinity;
      void this.enqueue(() => this.handle(this.mc.tick(this.clock.now())));
    });
  }

  /** After merges or commits: subscribe to new topics, publish keys of new members. */
  private afterStateChange(): void {
    const key = this.topics().map(toHex).join();
    if (key !== this.topicsKey) {
      this.topicsKey = key;
      void this.handle(this.mc.resubscribe(this.clock.now()));
    }
    for (const l of this.links.values()) if (l.joined && l.role === 'broker') this.publishKeys(l, false);
    this.nat.stateChanged();
    this.handOverOwedKeys();
    this.emitStatus();
  }

  /**
   * An admin hands over the epoch keys current members lack as soon as it sees them
   * missing (ShareReplica.keysOwed: a rotation left them out, or was concurrent with
   * their grant); a writer's next commit carries them too.
   */
  private handOverOwedKeys(): void {
    const replica = this.node.replica;
    if (!canAdminister(replica.myRole())) return;
    const lacking = replica.membersLackingKeys().join();
    if (lacking !== this.lackingReported) {
      this.lackingReported = lacking;
      if (lacking) this.log(`members who lack keys that no handover may give them (a revocation of them was tried and may still win): ${lacking}; granting them again lets them read everything`);
    }
    if (replica.keysOwed().length === 0) return;
    if (replica.handOverKeys() > 0) {
      this.log('handing over keys that members lack');
      void this.commit().catch((err: unknown) => this.log(`could not commit the key handover: ${message(err)}`));
    }
  }

  private emitStatus(): void {
    this.emit('status', this.status());
  }

  // ---------------------------------------------------------------- keys

  private async onKeys(link: Link, msg: WireMessage): Promise<void> {
    const replica = this.node.replica;
    if (msg.type === 'keyreq') {
      const reply = keysMessageFor(replica, msg.member);
      if (reply) this.sendRaw(link, reply);
      return;
    }
    if (msg.type !== 'keys' || !bytesEqual(msg.member, replica.me.publicKey)) return;
    if (!keysAreForUs(replica, this.topics(), msg)) {
      this.log(`ignored key boxes from ${link.id}: not signed by a topic of this share`);
      return;
    }
    const before = replica.heldEpochs().length;
    const out = await this.node.addKeys(msg.boxes, (o) => {
      if (o.changes.length) this.emit('changes', o.changes);
    });
    const merged = out.results.flatMap((r) => (r.status === 'merged' ? [r.id] : []));
    if (merged.length) {
      this.log(`merged ${merged.length} commits that waited for these keys`);
      this.emit('merged', merged);
      this.afterStateChange();
      await this.handle(this.mc.merged(this.clock.now()));
    }
    if (replica.heldEpochs().length > before) {
      this.log(`received keys from ${link.id}: joined the share`);
      for (const l of this.links.values()) await this.tryJoin(l);
    }
  }

  /**
   * KEYREQ to every neighbour: a joiner's, until it holds keys; a member's, while commits
   * wait for an epoch's key it lacks (KeyAsking says when). A broker answers with the boxes
   * stored under the topic asked about, so it is asked about every topic we hold a key
   * for; a teammate answers with all of them, so it is asked once.
   */
  private askForKeys(): void {
    const replica = this.node.replica;
    const me = replica.me.publicKey;
    if (!this.hasKeys()) {
      const topic = this.topics()[0];
      if (topic) for (const l of this.links.values()) this.sendRaw(l, { type: 'keyreq', topic, member: me });
      return;
    }
    if (!this.keyAsking.due(this.clock.now(), replica.lockedOutCount())) return;
    const topics = replica.heldEpochs().map((e) => e.topic);
    for (const l of this.links.values()) for (const topic of l.role === 'broker' ? topics : topics.slice(0, 1)) this.sendRaw(l, { type: 'keyreq', topic, member: me });
  }

  /** Admins hand every member's key boxes to a broker, once per (broker link, member, box count). */
  private publishKeys(link: Link, fresh: boolean): void {
    for (const msg of keysToPublish(this.node.replica, link.id, this.keysPublished, fresh)) this.sendRaw(link, msg);
  }

  // ---------------------------------------------------------------- presence

  private onPresence(topic: Uint8Array, payload: Uint8Array): void {
    const replica = this.node.replica;
    const th = topicHex(topic);
    const epoch = replica.heldEpochs().find((e) => topicHex(e.topic) === th);
    if (!epoch) return;
    try {
      const p = openPresence(payload, topic, epoch.key, (h) => replica.members().has(h));
      const memberHex = toHex(p.member);
      if (memberHex === this.meHex) return;
      const known = this.presenceTable.list().some((e) => e.memberHex === memberHex);
      if (this.presenceTable.apply(p, this.clock.now())) {
        this.emit('presence', this.presenceTable.list());
        const entry = this.presenceTable.list().find((e) => e.memberHex === memberHex);
        if (entry) this.nat.teammateSeen(entry);
        // A teammate who just came learns our addresses now, not at our next refresh (up
        // to PRESENCE_REFRESH_MS): when its key is the smaller, it is the one to dial us.
        if (entry && !known && this.natEnabled) void this.sendPresence(false);
        this.emitStatus();
      }
    } catch (err) {
      if (err instanceof PresenceError) this.log(`dropped presence: ${err.message}`);
      else throw err;
    }
  }

  /** Resolves once the frames are handed to the channels (stop() waits for its goodbye). */
  private sendPresence(leaving: boolean): Promise<void> {
    const replica = this.node.replica;
    const epoch = replica.currentEpoch() ?? replica.heldEpochs()[0];
    if (!epoch || replica.myRole() === undefined) return Promise.resolve();
    const topic = this.topics()[0];
    if (!topic || !bytesEqual(topic, epoch.topic)) return Promise.resolve();
    const payload = sealPresence(
      { member: replica.me.publicKey, name: this.name, file: this.myPresence.file, selections: this.myPresence.selections, counter: ++this.presenceCounter, leaving, addrs: leaving ? [] : this.nat.presenceAddresses() },
      replica.me,
      epoch,
    );
    return this.handle(this.mc.localPresence(topic, payload, this.clock.now()));
  }

  private refreshPresence(): void {
    void this.sendPresence(false);
    if (this.presenceTable.expire(this.clock.now()).length) {
      this.emit('presence', this.presenceTable.list());
      this.emitStatus();
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
