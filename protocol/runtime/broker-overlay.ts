/**
 * The overlay over the transport (docs/OVERLAY.md, "Brokers use it"): one OverlayNode per
 * broker, its id the broker's public key text. It ticks once a gossip period (jittered),
 * sends each message in an envelope signed by the broker's key on `/weft/overlay/1`, and
 * checks every envelope (signer = the authenticated remote, signature, bounds) before the
 * node sees it: a bad one bans its sender. A peer it cannot reach is reported with
 * `unreachable`, and an event then goes to the target's fallbacks.
 *
 * Events carry their commit envelope as the payload. One received is handed to the broker
 * (`deliver`) after the overlay's duplicate check, and relayed along the ring only when
 * the broker found it valid; the broker's own new events come in through `publish`.
 */
import type { FrameChannel, Transport } from '../src/ports/transport.js';
import type { Clock, Random } from '../src/ports/clock.js';
import { publicKeyFromText, publicKeyToText, toHex } from '../src/crypto/index.js';
import { decodeCommitEnvelope } from '../src/log/commit.js';
import type { CommitId } from '../src/log/ids.js';
import { decodeOverlayEnvelope, encodeOverlayEnvelope, type AddressHint } from '../src/broker/index.js';
import {
  decodeOverlayMessage,
  encodeOverlayMessage,
  OverlayNode,
  Profile,
  type OverlayMessage,
  type OverlayNodeOptions,
  type Outgoing,
  type PeerId,
  UnsupportedMessageError,
} from '../src/overlay/index.js';

export const OVERLAY_PROTOCOL = '/weft/overlay/1';
/** Nodes whose addresses are remembered (the oldest learnt is forgotten first). */
const ADDRESS_BOOK_SIZE = 4096;
/**
 * The guard's rates in a broker: token buckets over wall-clock time (guard.ts), each
 * holding 20 gossip periods' worth. Counting per local tick (as the simulator does)
 * banned honest brokers on a loaded machine: a broker whose timer fired late saw several
 * of a neighbour's periods in one of its own; a fixed window of 20 periods did not, but
 * let a flooder just under its limit, or one that split a burst across its boundary,
 * go unbanned. A bucket refills continuously, so neither matters.
 *
 * An honest broker sends one other at most 4 CYCLON/VICINITY messages a period (its
 * shuffle and VICINITY request, its answers to that broker's two): 6 a period sustained
 * is banned (at 8, twice the honest most, within 60 periods; at 12 within 20), while the
 * 120 a bucket holds absorb 30 periods of an honest neighbour's messages read at once.
 * Ring limits are the simulator's per round, now per period.
 */
export const BROKER_GUARD = { maxGossipPerRound: 6, maxRingPerTopic: 4, maxRingPerRound: 256, burstRounds: 20 } as const;

export interface BrokerOverlayInit {
  transport: Transport;
  /** The broker's identity seed: it signs every envelope. */
  secretKey: Uint8Array;
  clock: Clock;
  random: Random;
  /** Brokers to join through (multiaddrs with /p2p/<id>). */
  bootstrap: readonly string[];
  /** Topics carried at start (hex). */
  topics: readonly string[];
  /** Gossip period in ms (default 5,000), each one jittered by up to a quarter either way. */
  periodMs?: number;
  options?: OverlayNodeOptions;
  /** An event from the overlay for the broker's checks; true when it is valid (stored or being stored). */
  deliver: (commit: Uint8Array, id: CommitId, topicHex: string) => boolean;
  log: (level: 'info' | 'warn', text: string) => void;
}

export interface OverlayStatus {
  id: string;
  round: number;
  topics: number;
  degree: number;
  cyclon: string[];
  vicinity: string[];
  /** Per topic (hex): ring successors and predecessors (nearest first) and shortcuts. */
  rings: Record<string, { successors: string[]; predecessors: string[]; shortcuts: string[] }>;
  banned: number;
  /** Events received over the overlay: new, duplicates, refused by the broker. */
  events: { delivered: number; duplicates: number; refused: number; relayed: number };
  /** Messages of kinds this broker does not know (a newer broker's), dropped. */
  unsupported: number;
}

export class BrokerOverlay {
  readonly node: OverlayNode;
  private readonly channels = new Map<PeerId, FrameChannel>();
  private readonly opening = new Map<PeerId, Promise<FrameChannel>>();
  private readonly addressBook = new Map<PeerId, string[]>();
  private round = 0;
  private stopped = false;
  private stopTimer: (() => void) | undefined;
  private unhandle: (() => void) | undefined;
  private readonly readers = new Set<Promise<void>>();
  private readonly counts = { delivered: 0, duplicates: 0, refused: 0, relayed: 0 };
  private unsupportedCount = 0;
  /** Senders of a message kind this broker does not know, already logged. */
  private readonly toldUnsupported = new Set<PeerId>();

  private readonly period: number;

  constructor(private readonly init: BrokerOverlayInit) {
    this.period = init.periodMs ?? 5000;
    const options: OverlayNodeOptions = { ...init.options, guard: { ...BROKER_GUARD, ...init.options?.guard } };
    this.node = new OverlayNode(publicKeyToText(init.transport.publicKey), init.topics, init.random, options);
  }

  /** The time in gossip periods, the overlay node's round: its guard's rates (BROKER_GUARD) and its join budget run on it. */
  private periods(): number {
    return this.init.clock.now() / this.period;
  }

  /** Serves the protocol (call before the transport starts), then, once started, joins and ticks. */
  listen(): void {
    this.unhandle = this.init.transport.handle(OVERLAY_PROTOCOL, (ch) => this.read(ch));
  }

  start(): void {
    for (const addr of this.init.bootstrap) void this.join(addr);
    const period = this.period;
    const tick = (): void => {
      if (this.stopped) return;
      this.round++;
      for (const o of this.node.tick()) this.send(o);
    };
    // Jitter: each period between 3/4 and 5/4 of the nominal one, so brokers drift apart.
    const arm = (): void => {
      const wait = period * (0.75 + 0.5 * this.init.random());
      this.stopTimer = this.init.clock.after(wait, () => {
        arm();
        tick();
      }, true);
    };
    arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTimer?.();
    this.unhandle?.();
    for (const ch of this.channels.values()) void ch.close().catch(() => {});
    await Promise.allSettled([...this.readers]);
  }

  /** A topic the broker began to carry: a new profile and a ring. */
  carry(topicHex: string): void {
    this.node.carry(topicHex);
  }

  /** A new event stored or being stored here: sent to the ring's targets. */
  publish(commit: Uint8Array): void {
    const env = decodeCommitEnvelope(commit);
    for (const o of this.node.publish(toHex(env.topic), env.id)) this.send(o, commit);
  }

  status(): OverlayStatus {
    const rings: OverlayStatus['rings'] = {};
    for (const topic of this.node.rings.topics()) {
      const r = this.node.rings.ring(topic);
      if (r) rings[topic] = { successors: r.successors.slice(), predecessors: r.predecessors.slice(), shortcuts: r.shortcuts.slice() };
    }
    return {
      id: this.node.id,
      round: this.round,
      topics: this.node.topics.size,
      degree: this.node.degree(),
      cyclon: this.node.cyclon.peers().map((d) => d.id),
      vicinity: this.node.vicinity.peers().map((d) => d.id),
      rings,
      banned: this.node.guard.bannedCount(),
      events: { ...this.counts },
      unsupported: this.unsupportedCount,
    };
  }

  // ---- joining ----

  /**
   * Dials a bootstrap broker until it answers (backoff 0.5 s .. 30 s), then seeds CYCLON
   * with it (an empty profile stands in for its own) and asks it at once for its
   * descriptor and some of its views: rings are joined within a gossip period instead of
   * after the first shuffles.
   */
  private async join(addr: string): Promise<void> {
    let delay = 500;
    while (!this.stopped) {
      try {
        const peer = await this.init.transport.dial(addr);
        const id = publicKeyToText(peer.publicKey);
        if (id === this.node.id) return;
        this.learn(id, [addr]);
        this.node.bootstrap([{ id, age: 0, profile: Profile.fromTopics([]) }]);
        this.send(this.node.askDescriptor(id));
        this.init.log('info', `overlay: joined through ${id.slice(0, 16)}`);
        return;
      } catch (err) {
        if (this.stopped) return;
        this.init.log('warn', `overlay: bootstrap broker ${addr} unreachable (${err instanceof Error ? err.message : String(err)}); retry in ${delay} ms`);
      }
      await new Promise<void>((resolve) => this.init.clock.after(delay, resolve, true));
      delay = Math.min(delay * 2, 30_000);
    }
  }

  private learn(id: PeerId, addresses: readonly string[]): void {
    if (addresses.length === 0 || id === this.node.id) return;
    this.addressBook.delete(id);
    this.addressBook.set(id, addresses.slice(0, 4));
    if (this.addressBook.size > ADDRESS_BOOK_SIZE) {
      const oldest = this.addressBook.keys().next().value;
      if (oldest !== undefined) this.addressBook.delete(oldest);
    }
  }

  // ---- sending ----

  private send(o: Outgoing, payload?: Uint8Array): void {
    void this.sendTo(o.to, o.message, payload, o.fallbacks ?? []);
  }

  private async sendTo(to: PeerId, message: OverlayMessage, payload: Uint8Array | undefined, fallbacks: readonly PeerId[]): Promise<void> {
    if (this.stopped) return;
    const frame = encodeOverlayEnvelope(
      { sender: this.init.transport.publicKey, addresses: this.init.transport.addresses(), message: encodeOverlayMessage(message), hints: this.hintsFor(message, fallbacks), payload: payload ?? new Uint8Array(0) },
      this.init.secretKey,
    );
    for (const target of [to, ...fallbacks]) {
      try {
        const ch = await this.channelTo(target);
        await ch.send(frame);
        if (message.kind === 'event' && payload) this.counts.relayed++;
        return;
      } catch (err) {
        if (this.stopped) return;
        this.channels.delete(target);
        this.node.unreachable(target);
        this.init.log('info', `overlay: ${target.slice(0, 16)} unreachable (${err instanceof Error ? err.message : String(err)})`);
      }
    }
  }

  /** The addresses known of every node a message names, so that its receiver can dial them. */
  private hintsFor(message: OverlayMessage, fallbacks: readonly PeerId[]): AddressHint[] {
    const ids: PeerId[] = [...fallbacks];
    switch (message.kind) {
      case 'cyclon-request':
      case 'cyclon-response':
      case 'vicinity-request':
      case 'vicinity-response':
      case 'descriptor-request':
      case 'descriptor-response':
        for (const d of message.descriptors) ids.push(d.id);
        break;
      case 'ring-request':
      case 'ring-response':
        ids.push(...message.ids);
        break;
      case 'ring-join':
        ids.push(message.joiner);
        break;
      case 'event':
        break;
    }
    const hints: AddressHint[] = [];
    for (const id of new Set(ids)) {
      const addresses = this.addressBook.get(id);
      if (addresses) hints.push({ id, addresses });
    }
    return hints;
  }

  private channelTo(id: PeerId): Promise<FrameChannel> {
    const open = this.channels.get(id);
    if (open && !open.closed) return Promise.resolve(open);
    let pending = this.opening.get(id);
    if (!pending) {
      pending = this.open(id, OVERLAY_PROTOCOL)
        .then((ch) => {
          this.read(ch);
          return ch;
        })
        .finally(() => this.opening.delete(id));
      this.opening.set(id, pending);
    }
    return pending;
  }

  /** A channel for `protocol` to an overlay node, dialled at the addresses it or others gave. */
  async open(id: PeerId, protocol: string): Promise<FrameChannel> {
    const key = publicKeyFromText(id);
    const addresses = this.addressBook.get(id) ?? [];
    if (addresses.length > 0) {
      const t = this.init.transport;
      await (t.dialAny ? t.dialAny(addresses) : t.dial(addresses[0] ?? ''));
    }
    return this.init.transport.openChannel(key, protocol);
  }

  /** Per carried topic (hex), its nearest ring neighbour on each side, when known. */
  ringNeighbours(): Array<{ topic: string; neighbours: PeerId[] }> {
    const out: Array<{ topic: string; neighbours: PeerId[] }> = [];
    for (const topic of this.node.rings.topics()) {
      const r = this.node.rings.ring(topic);
      const neighbours = [r?.successors[0], r?.predecessors[0]].filter((id): id is PeerId => id !== undefined);
      if (neighbours.length > 0) out.push({ topic, neighbours: [...new Set(neighbours)] });
    }
    return out;
  }

  // ---- receiving ----

  private read(ch: FrameChannel): void {
    const from = publicKeyToText(ch.remote);
    if (this.stopped || this.node.guard.isBanned(from)) {
      void ch.close().catch(() => {});
      return;
    }
    const current = this.channels.get(from);
    if (!current || current.closed) this.channels.set(from, ch);
    const done = (async () => {
      try {
        for await (const frame of ch.frames()) {
          if (this.stopped) break;
          if (!this.receive(from, ch.remote, frame)) break;
        }
      } catch (err) {
        if (!this.stopped) this.init.log('info', `overlay: channel from ${from.slice(0, 16)} failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        if (this.channels.get(from) === ch) this.channels.delete(from);
        void ch.close().catch(() => {});
      }
    })();
    this.readers.add(done);
    void done.finally(() => this.readers.delete(done));
  }

  /** One envelope; false when its sender is banned (the channel then closes). */
  private receive(from: PeerId, remote: Uint8Array, frame: Uint8Array): boolean {
    if (this.node.guard.isBanned(from)) return false;
    let message: OverlayMessage;
    let payload: Uint8Array;
    try {
      const env = decodeOverlayEnvelope(frame, remote, this.init.transport.maxFrameBytes);
      this.learn(from, env.addresses);
      for (const h of env.hints) if (!this.addressBook.has(h.id)) this.learn(h.id, h.addresses);
      message = decodeOverlayMessage(env.message, this.node.guard.options);
      payload = env.payload;
      if (message.kind === 'event') checkPayload(message, payload);
    } catch (err) {
      if (err instanceof UnsupportedMessageError) return this.unsupported(from, err);
      this.ban(from, err);
      return false;
    }
    const step = this.node.receive(from, message, this.periods());
    if (step.rejected) {
      this.init.log('warn', `overlay: banned ${from.slice(0, 16)}: ${step.rejected instanceof Error ? step.rejected.message : String(step.rejected)}`);
      return false;
    }
    if (step.duplicate) this.counts.duplicates++;
    if (step.delivered && message.kind === 'event') {
      const valid = this.init.deliver(payload, message.event as CommitId, message.topic);
      if (!valid) {
        // A well-formed commit the broker refuses (not signed by its topic key): whoever relayed it is not honest.
        this.counts.refused++;
        this.ban(from, new Error(`relayed event ${message.event.slice(0, 12)} that the broker refused`));
        return false;
      }
      this.counts.delivered++;
      for (const o of step.send) this.send(o, payload);
      return true;
    }
    for (const o of step.send) this.send(o);
    return true;
  }

  /** A newer broker's message of a kind this one does not know: dropped (counted against its rate); false when that got it banned. */
  private unsupported(from: PeerId, err: UnsupportedMessageError): boolean {
    const step = this.node.receiveUnsupported(from, err, this.periods());
    if (step.rejected) {
      this.init.log('warn', `overlay: banned ${from.slice(0, 16)}: ${step.rejected.message}`);
      return false;
    }
    this.unsupportedCount++;
    if (!this.toldUnsupported.has(from) && this.toldUnsupported.size < 1024) {
      this.toldUnsupported.add(from); // once per sender: a newer broker sends these every period
      this.init.log('info', `overlay: ${from.slice(0, 16)} sent ${err.message} (a newer broker? upgrade this one)`);
    }
    return true;
  }

  private ban(from: PeerId, err: unknown): void {
    this.node.ban(from);
    this.init.log('warn', `overlay: banned ${from.slice(0, 16)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** An event's payload must be the commit the message names, of the topic it names. */
function checkPayload(message: Extract<OverlayMessage, { kind: 'event' }>, payload: Uint8Array): void {
  const env = decodeCommitEnvelope(payload);
  if (env.id !== message.event || toHex(env.topic) !== message.topic) throw new Error('the event payload is not the commit the message names');
}
