/**
 * The broker's protocol logic, sans-I/O (h11 style): inputs are frames from a channel
 * plus the current time, and store completions; outputs are frames to send, store
 * requests, channels to close and notices to log. No sockets, timers or clocks here;
 * protocol/runtime/broker-server.ts drives it over the transport and the disk.
 *
 * What it does with each wire message (multicast/wire.ts):
 *  - EVENT: size check, decode the envelope, topic policy, topic signature, quota; a
 *    new event is forwarded at once to every other channel subscribed to its topic and
 *    becomes a store request; once stored() reports it durable it is ACKed (to every
 *    channel that sent it). Forwarding does not wait for the disk: a subscriber that
 *    gets an event the broker then loses in a crash loses nothing (the publisher, never
 *    acked, sends it again), and a keystroke crosses the broker without an fsync.
 *    Already stored or already pending: ACK (now or when durable), nothing forwarded
 *    (this dedupe also stops loops in a broker mesh). Refused: ERROR with the code,
 *    nothing changes.
 *  - SUBSCRIBE/UNSUBSCRIBE: per topic, SUBSCRIBED or ERROR (unknown-topic, quota).
 *  - SYNC: one SyncSession per (channel, stream = sorted topics) over the stored
 *    envelopes of the stream's topics; commits it delivers are checked like EVENTs,
 *    forwarded and stored; poll() runs once the channel has nothing pending on disk.
 *    A SYNC frame arriving while that channel's stores are pending waits for them.
 *  - PRESENCE: forwarded to the topic's other subscribers, never stored, rate-limited.
 *  - WANT: the stored events among the ids, as EVENTs (at most WANT_REPLY_BYTES). From a
 *    member, the ids of a carried topic lacking here are also asked of the ring
 *    neighbours over the ring links (broker-ring.ts, ring-wants.ts), once per id and bounded; an answer
 *    goes to the members that waited. From a broker, answered from the store only: asks
 *    never travel further than one ring link.
 *  - KEYS: topic signature checked, stored durably (latest per member), forwarded to
 *    peer brokers; KEYREQ answers with the stored KEYS message.
 *  - CHUNKOFFER (topic policy and signature checked), CHUNKWANT, CHUNK: handed to the
 *    runtime, which holds the chunk stores (BrokerOutput.chunks). A CHUNK skips the rate
 *    buckets (the runtime asked for it and paces them); an unasked one costs a strike.
 *  - HELLO role broker (or a channel we opened to a peer broker): we subscribe it to
 *    every topic we carry and start a SYNC per topic, so brokers catch up on (re)connect.
 *  - The overlay's channel, ring links and WANTs asked across the ring: broker-ring.ts
 *    (this file only keeps a ring link from making the broker take on a topic).
 *
 * Topic policy:
 *  - open (default): anyone may subscribe to or sync any topic (subscriptions live in
 *    memory and are bounded per connection). A topic is stored, and counted against
 *    maxTopics, once its first validly signed event or KEYS arrives: only holders of
 *    the topic key can make a broker store anything.
 *  - allowlist: only the configured topics; anything else is refused with ERROR
 *    unknown-topic naming the topic.
 *
 * Flow control: a new, valid event (or KEYS) waits in the channel's publish window
 * until it is durable; readable() is false while the window is full, and the runtime
 * then stops reading the channel (the transport's flow control pushes back on the
 * sender) until stored() frees room. So an honest member publishing a burst faster than
 * the disk is slowed, never refused or disconnected, and the broker holds at most a
 * window of unstored events per connection.
 *
 * Abuse: everything that takes no window (duplicates of stored events, subscriptions,
 * sync, wants, presence, invalid input) costs tokens from per-connection buckets
 * (messages, bytes; PRESENCE has its own); over the limit -> ERROR rate-limited and
 * dropped. Every refusal is a strike; a connection out of strikes is closed with the
 * reason.
 */
import { bytesEqual, fromHex, toHex, verify } from '../crypto/index.js';
import { DecodeError } from '../codec/errors.js';
import { decodeCommitEnvelope, verifyTopicSignature, COMMIT_KIND } from '../log/commit.js';
import type { CommitId } from '../log/ids.js';
import { CHUNK_TYPE_BYTE, EVENT_TYPE_BYTE, SYNC_TYPE_BYTE, chunkOfferSignedBytes, decodeWire, encodeWire, keysSignedBytes, relaySignedBytes, WIRE_KIND, type WireErrorCode, type WireMessage } from '../multicast/wire.js';
import { SyncSession } from '../sync/index.js';
import { DEFAULT_BROKER_LIMITS, TokenBucket, type BrokerLimits } from './limits.js';
import { StreamSource, TopicIndex } from './topic-index.js';
import { NewTopicQuota, type ChannelSource } from './topic-quota.js';
import { BrokerRing } from './broker-ring.js';
import { BROKER_SOFTWARE, MAX_DEFERRED_FRAMES, WANT_REPLY_BYTES, emptyOutput, type BrokerInit, type TopicPolicy, type BrokerOutput, type ChannelId, type ChannelState, type PendingItem, type PendingRequest, type SyncEntry, type TopicSummary } from './broker-types.js';

export { BROKER_SOFTWARE, WANT_REPLY_BYTES, emptyOutput, type BrokerInit, type BrokerOutput, type ChannelId, type TopicPolicy, type TopicSummary };
export type { BrokerNotice, ChunkWork, RelayDecision, StoreRequest } from './broker-types.js';


export class Broker {
  readonly limits: BrokerLimits;
  readonly policy: TopicPolicy;
  private readonly allowlist: Set<string>;
  private readonly topics = new Map<string, TopicIndex>();
  private readonly subscribers = new Map<string, Set<ChannelId>>();
  private readonly channels = new Map<ChannelId, ChannelState>();
  private readonly refusalCounts = new Map<string, number>();
  private closedForCause = 0;
  /** Topics we subscribe to on every peer-broker channel. */
  private readonly meshTopics = new Map<string, Uint8Array>();
  /** Events waiting for the disk: who to ack once stored, and who got them forwarded already. */
  private readonly pendingIds = new Map<CommitId, { ackers: Set<ChannelId>; forwarded: Set<ChannelId> }>();
  private readonly pendingBytes = new Map<string, number>();
  private readonly pendingNewTopics = new Set<string>();
  private readonly requests = new Map<number, PendingRequest>();
  private nextRequest = 1;
  private readonly newTopics: NewTopicQuota;
  /** The overlay's channel and the ring links (broker-ring.ts). */
  private readonly ring = new BrokerRing({
    channels: this.channels,
    carriesTopic: (hex) => this.carriesTopic(hex),
    holds: (hex, id) => (this.topics.get(hex)?.has(id) ?? false) || this.pendingIds.has(id),
    addSubscriber: (c, hex) => this.addSubscriber(c, hex),
    meshSubscribe: (c, topic, out) => this.meshSubscribe(c, topic, out),
    acceptCommit: (c, bytes, now, out) => this.acceptCommit(c, bytes, now, out),
    refuse: (out, c, now, code, reason, topic) => this.refuse(out, c, now, code, reason, topic),
  });

  constructor(init: BrokerInit = {}) {
    this.limits = { ...DEFAULT_BROKER_LIMITS, ...init.limits };
    this.policy = init.policy ?? 'open';
    this.allowlist = new Set((init.allowlist ?? []).map(toHex));
    this.newTopics = new NewTopicQuota(this.limits);
  }

  // ---- loading and inspection ----

  /** Replays a topic's stored records (on start). Returns how many records were usable. */
  load(topic: Uint8Array, records: readonly Uint8Array[]): number {
    const index = this.indexFor(topic);
    let used = 0;
    for (const r of records) {
      try {
        if (r[0] === COMMIT_KIND) {
          const env = decodeCommitEnvelope(r, Math.max(this.limits.maxEventBytes, r.length));
          index.addCommit(env.id, env.deps, r);
          used++;
        } else if (r[0] === WIRE_KIND) {
          const m = decodeWire(r);
          if (m.type === 'keys') {
            index.setKeys(m.member, r);
            used++;
          }
        }
      } catch {
        // A record this version cannot read is skipped; the log keeps it.
      }
    }
    return used;
  }

  topicSummaries(): TopicSummary[] {
    return [...this.topics.values()].map((t) => ({ topic: t.hex, events: t.size, bytes: t.storedBytes, subscribers: this.subscribers.get(t.hex)?.size ?? 0 }));
  }

  channelCount(): number {
    return this.channels.size;
  }

  hasCommit(topic: Uint8Array, id: CommitId): boolean {
    return this.topics.get(toHex(topic))?.has(id) ?? false;
  }

  /** Ids members wanted that this broker lacks, asked of its ring neighbours and not yet answered. */
  ringAsksOutstanding(): number {
    return this.ring.outstanding;
  }

  /** Ring asks for the status: ids outstanding now, and ids sent to ring links since start. */
  ringAsks(): { outstanding: number; asked: number } {
    return { outstanding: this.ring.outstanding, asked: this.ring.asked };
  }

  // ---- channel lifecycle ----

  /**
   * A channel opened. `peerBroker`: we opened it to a configured peer broker (exempt from
   * the new-topic quotas per source). `source`: who opened it, for those quotas (without
   * one, only the global maxTopics applies).
   */
  connect(channel: ChannelId, now: number, opts: { peerBroker?: boolean; ringLink?: boolean; source?: ChannelSource } = {}): BrokerOutput {
    const out = emptyOutput();
    const l = this.limits;
    const state = newChannelState(channel, {
      messages: new TokenBucket(l.messagesPerSecond, l.messagesPerSecond * 2),
      bytes: new TokenBucket(l.bytesPerSecond, l.bytesPerSecond * 2),
      presence: new TokenBucket(l.presencePerSecond, l.presencePerSecond * 2),
      strikes: new TokenBucket(1, l.maxStrikes),
    }, opts.source && !opts.peerBroker && !opts.ringLink ? opts.source : undefined);
    if (opts.ringLink) {
      state.isBroker = true;
      state.ringLink = { topics: new Set() };
    }
    state.messages.take(now, 0);
    this.channels.set(channel, state);
    this.sendTo(out, channel, { type: 'hello', role: 'broker', software: BROKER_SOFTWARE });
    if (opts.peerBroker) this.becomeBroker(state, out);
    return out;
  }

  /**
   * The overlay (docs/OVERLAY.md) as one more channel: subscribed to every topic carried
   * here, so each new event is forwarded to it (the runtime publishes it along the topic's
   * ring), and unmetered (its events were checked by the overlay's guard; each still takes
   * the broker's own checks). It never holds a source, like a peer broker: the per-source
   * new-topic quotas do not apply (it carries only topics carried here already).
   */
  attachOverlay(channel: ChannelId): BrokerOutput {
    const out = emptyOutput();
    const unmetered = (): TokenBucket => new TokenBucket(Infinity, Infinity);
    const state = newChannelState(channel, { messages: unmetered(), bytes: unmetered(), presence: unmetered(), strikes: unmetered() });
    state.role = 'broker';
    this.channels.set(channel, state);
    this.ring.attach(channel);
    for (const t of this.topics.values()) this.carry(t.topic, t.hex, out);
    for (const [hex, topic] of this.meshTopics) this.ring.carry(topic, hex, out);
    return out;
  }

  /** An event that came over the overlay: see BrokerRing.event. */
  overlayEvent(commit: Uint8Array, id: CommitId, topicHex: string, now: number): { out: BrokerOutput; valid: boolean } {
    return this.ring.event(commit, id, topicHex, now);
  }

  disconnect(channel: ChannelId): BrokerOutput {
    const c = this.channels.get(channel);
    if (c) {
      for (const hex of c.subs) this.subscribers.get(hex)?.delete(channel);
      this.channels.delete(channel);
      this.ring.forget(channel);
    }
    return emptyOutput();
  }

  // ---- input ----

  receive(channel: ChannelId, frame: Uint8Array, now: number): BrokerOutput {
    const out = emptyOutput();
    const c = this.channels.get(channel);
    if (!c || c.closing) return out;
    // A CHUNK is paced by the runtime's own CHUNKWANTs; an EVENT by the publish window
    // (acceptCommit charges the rate buckets for one that takes no window). A SYNC frame's
    // new commits take the window too: sync() charges the rest of its bytes once read.
    const type = frame[0] === WIRE_KIND ? frame[2] : undefined;
    const paced = type === CHUNK_TYPE_BYTE || type === EVENT_TYPE_BYTE;
    if (paced || this.withinRate(c, type === SYNC_TYPE_BYTE ? 0 : frame.length, now, out)) this.handle(c, frame, now, out);
    return out;
  }

  /** May the runtime read the channel's next frame? False while its publish window is full. */
  readable(channel: ChannelId): boolean {
    const c = this.channels.get(channel);
    if (!c || c.closing) return true;
    return c.windowEvents < this.limits.publishWindowEvents && c.windowBytes < this.limits.publishWindowBytes;
  }

  /** Takes a message's tokens; over the limit: ERROR rate-limited (once a second), a strike, false. */
  private withinRate(c: ChannelState, bytes: number, now: number, out: BrokerOutput): boolean {
    if (c.messages.take(now) && c.bytes.drain(now, bytes)) return true;
    if (now - c.lastRateError >= 1000) {
      c.lastRateError = now;
      this.error(out, c, 'rate-limited', 'too many messages or bytes on this connection; slow down');
    }
    this.strike(c, now, out, 'rate limit');
    return false;
  }

  private handle(c: ChannelState, frame: Uint8Array, now: number, out: BrokerOutput): void {
    let msg: WireMessage;
    try {
      msg = decodeWire(frame);
    } catch (err) {
      const code = err instanceof DecodeError && err.code === 'too-large' ? 'too-large' : 'malformed';
      this.refuse(out, c, now, code, `message does not decode: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    switch (msg.type) {
      case 'hello':
        c.role = msg.role;
        if (msg.role === 'broker' && !c.ringLink) this.becomeBroker(c, out);
        return;
      case 'subscribe':
        for (const t of msg.topics) this.subscribe(c, t, now, out);
        return;
      case 'unsubscribe': {
        const hex = toHex(msg.topic);
        c.subs.delete(hex);
        this.subscribers.get(hex)?.delete(c.id);
        return;
      }
      case 'event':
        this.acceptCommit(c, msg.commit, now, out);
        this.flushIfIdle(c, out);
        return;
      case 'sync':
        if (c.pendingStores > 0) {
          if (c.deferred.length >= MAX_DEFERRED_FRAMES) this.closeChannel(c, out, 'too many sync messages while its events are being stored');
          else c.deferred.push(frame);
          return;
        }
        this.sync(c, msg.topics, msg.message, now, out);
        return;
      case 'presence':
        this.presence(c, msg.topic, frame, now, out);
        return;
      case 'want':
        this.want(c, msg.topic, msg.ids, now, out);
        return;
      case 'keys':
        this.keys(c, msg, frame, now, out);
        return;
      case 'keyreq': {
        const index = this.topics.get(toHex(msg.topic));
        if (!index) {
          this.error(out, c, 'unknown-topic', 'no events or key boxes are stored for this topic here', msg.topic);
          return;
        }
        const k = index.keysFor(msg.member);
        if (k) out.send.push({ to: c.id, frame: k.message });
        return;
      }
      case 'chunkoffer':
        this.chunkOffer(c, msg, now, out);
        return;
      case 'chunkwant':
        out.chunks.push({ kind: 'want', channel: c.id, ids: msg.ids, topicHexes: [...c.subs] });
        return;
      case 'chunk':
        out.chunks.push({ kind: 'chunk', channel: c.id, id: msg.id, bytes: msg.bytes });
        return;
      case 'chunkhave':
        return;
      case 'relayreq':
        this.relayRequest(c, msg, now, out);
        return;
      case 'error':
        out.notices.push({ level: 'warn', channel: c.id, text: `remote error ${msg.code}: ${msg.reason}` });
        return;
      case 'subscribed':
      case 'ack':
        return;
    }
  }

  // ---- topics and subscriptions ----

  private allowed(hex: string): boolean {
    return this.policy === 'open' || this.allowlist.has(hex);
  }

  private subscribe(c: ChannelState, topic: Uint8Array, now: number, out: BrokerOutput): void {
    const hex = toHex(topic);
    if (!this.admits(c, topic, hex, now, out)) return;
    if (c.ringLink && !this.carriesTopic(hex)) return; // a ring neighbour of another topic's ring: nothing to sync
    if (!c.subs.has(hex)) {
      if (c.subs.size >= this.subscriptionsAllowed(c)) {
        this.refuse(out, c, now, 'quota', `at most ${this.subscriptionsAllowed(c)} subscriptions per connection`, topic);
        return;
      }
      c.subs.add(hex);
      this.addSubscriber(c, hex);
    }
    this.sendTo(out, c.id, { type: 'subscribed', topic });
    if (c.ringLink) this.ring.linkTopic(c, topic, hex, out, now);
    if (c.isBroker) {
      for (const k of this.topics.get(hex)?.allKeys() ?? []) out.send.push({ to: c.id, frame: k.message });
    } else {
      this.carry(topic, hex, out);
    }
  }

  /** Subscribes to a topic on every peer-broker channel (once), and syncs it there. */
  private carry(topic: Uint8Array, hex: string, out: BrokerOutput): void {
    if (this.meshTopics.has(hex)) return;
    this.meshTopics.set(hex, topic);
    this.ring.carry(topic, hex, out);
    for (const c of this.channels.values()) if (c.isBroker && !c.ringLink) this.meshSubscribe(c, topic, out);
  }

  /** Stored here, or a member subscribed to it here: the overlay carries it. */
  private carriesTopic(hex: string): boolean {
    return this.topics.has(hex) || this.meshTopics.has(hex);
  }

  /** The runtime found a ring neighbour for a topic carried here: see BrokerRing.link. */
  ringLink(channel: ChannelId, topic: Uint8Array, now: number): BrokerOutput {
    return this.ring.link(channel, topic, now);
  }

  private addSubscriber(c: ChannelState, hex: string): void {
    let set = this.subscribers.get(hex);
    if (!set) this.subscribers.set(hex, (set = new Set()));
    set.add(c.id);
  }

  private becomeBroker(c: ChannelState, out: BrokerOutput): void {
    if (c.isBroker) return;
    c.isBroker = true;
    for (const t of this.topics.values()) if (!this.meshTopics.has(t.hex)) this.meshTopics.set(t.hex, t.topic);
    for (const topic of this.meshTopics.values()) this.meshSubscribe(c, topic, out);
  }

  private meshSubscribe(c: ChannelState, topic: Uint8Array, out: BrokerOutput): void {
    this.sendTo(out, c.id, { type: 'subscribe', topics: [topic] });
    const entry = this.sessionFor(c, [topic]);
    if (entry) for (const m of entry.session.start()) this.sendTo(out, c.id, { type: 'sync', topics: [topic], message: m });
  }

  private indexFor(topic: Uint8Array): TopicIndex {
    const hex = toHex(topic);
    let index = this.topics.get(hex);
    if (!index) {
      index = new TopicIndex(topic.slice());
      this.topics.set(hex, index);
    }
    return index;
  }

  /**
   * Quota, max-topics and new-topics-per-source check for `bytes` more on a topic from
   * `c`; an error reason naming the limit, or undefined (a new topic's token then taken).
   */
  private roomFor(c: ChannelState, hex: string, bytes: number, now: number): string | undefined {
    const index = this.topics.get(hex);
    const used = (index?.storedBytes ?? 0) + (this.pendingBytes.get(hex) ?? 0);
    if (used + bytes > this.limits.topicQuotaBytes) return `the topic's storage quota of ${this.limits.topicQuotaBytes} bytes is full`;
    if (index || this.pendingNewTopics.has(hex)) return undefined;
    if (this.topics.size + this.pendingNewTopics.size >= this.limits.maxTopics) {
      return `this broker already stores its maximum of ${this.limits.maxTopics} topics`;
    }
    return c.source ? this.newTopics.take(c.source, now) : undefined;
  }

  // ---- events ----

  private acceptCommit(c: ChannelState, bytes: Uint8Array, now: number, out: BrokerOutput, stream?: { key: string; topicHexes: Set<string> }): void {
    if (bytes.length > this.limits.maxEventBytes) {
      this.refuse(out, c, now, 'too-large', `event of ${bytes.length} bytes exceeds the ${this.limits.maxEventBytes}-byte limit`);
      return;
    }
    let env;
    try {
      env = decodeCommitEnvelope(bytes, this.limits.maxEventBytes);
    } catch (err) {
      this.refuse(out, c, now, 'malformed', `event is not a commit envelope: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const hex = toHex(env.topic);
    if (!this.admits(c, env.topic, hex, now, out)) return;
    if (c.ringLink && !stream && !this.ring.answer(c, env.topic, env.id, hex, now, out)) return;
    if (c.ringLink && !this.carriesTopic(hex)) return; // a ring neighbour never makes this broker take on a topic
    if (stream && !stream.topicHexes.has(hex)) {
      this.refuse(out, c, now, 'malformed', 'a commit sent by sync belongs to a topic outside the stream', env.topic);
      return;
    }
    // A duplicate takes no window: it costs the sender's rate. A ring link (a second
    // neighbour answering the same WANT) is not acknowledged: it published nothing here.
    if (this.topics.get(hex)?.has(env.id)) {
      if (!stream && this.withinRate(c, bytes.length, now, out) && !c.ringLink) this.sendTo(out, c.id, { type: 'ack', id: env.id });
      return;
    }
    const pending = this.pendingIds.get(env.id);
    if (pending) {
      if (!stream && this.withinRate(c, bytes.length, now, out) && !c.ringLink) pending.ackers.add(c.id);
      return;
    }
    if (!verifyTopicSignature(env)) {
      this.refuse(out, c, now, 'bad-signature', 'the event is not signed by its topic key; dropped', env.topic);
      return;
    }
    const room = this.roomFor(c, hex, bytes.length, now);
    if (room) {
      this.refuse(out, c, now, 'quota', room, env.topic);
      return;
    }
    const forwarded = new Set<ChannelId>([c.id]);
    this.pendingIds.set(env.id, { ackers: new Set(stream || c.ringLink ? [] : [c.id]), forwarded });
    const frame = encodeWire({ type: 'event', commit: bytes });
    for (const s of this.subscribers.get(hex) ?? []) {
      if (forwarded.has(s) || this.channels.get(s)?.ringLink) continue;
      out.send.push({ to: s, frame });
      forwarded.add(s);
    }
    // Members whose WANT was asked of the ring get it whichever way it came.
    for (const w of this.ring.arrived(env.id)) {
      if (forwarded.has(w) || !this.channels.has(w)) continue;
      out.send.push({ to: w, frame });
      forwarded.add(w);
    }
    this.queueStore(out, c, env.topic, hex, { kind: 'commit', id: env.id, deps: env.deps, bytes, from: c.id, ...(stream ? { stream: stream.key } : {}) }, bytes);
  }

  private queueStore(out: BrokerOutput, c: ChannelState, topic: Uint8Array, hex: string, item: PendingItem, record: Uint8Array): void {
    this.pendingBytes.set(hex, (this.pendingBytes.get(hex) ?? 0) + record.length);
    c.windowEvents++;
    c.windowBytes += record.length;
    if (!this.topics.has(hex) && !this.pendingNewTopics.has(hex)) {
      this.pendingNewTopics.add(hex);
      this.topicCarried(hex, out);
    }
    // One request per topic per input: the store group-commits them anyway.
    let req = out.store.find((r) => r.topicHex === hex && this.requests.get(r.id)?.channels.has(c.id));
    if (!req) {
      req = { id: this.nextRequest++, topic, topicHex: hex, records: [] };
      out.store.push(req);
      this.requests.set(req.id, { topic, topicHex: hex, items: [], channels: new Set([c.id]) });
      c.pendingStores++;
    }
    req.records.push(record);
    this.requests.get(req.id)!.items.push(item);
  }

  /** The runtime reports that a store request is durable. */
  stored(requestId: number, now: number): BrokerOutput {
    const out = emptyOutput();
    const req = this.requests.get(requestId);
    if (!req) return out;
    this.requests.delete(requestId);
    const isNew = !this.topics.has(req.topicHex);
    const index = this.indexFor(req.topic);
    this.pendingNewTopics.delete(req.topicHex);
    for (const item of req.items) {
      const size = item.kind === 'commit' ? item.bytes.length : item.message.length;
      this.pendingBytes.set(req.topicHex, Math.max(0, (this.pendingBytes.get(req.topicHex) ?? 0) - size));
      this.freeWindow(item.from, size);
      if (item.kind === 'commit') {
        const pending = this.pendingIds.get(item.id);
        this.pendingIds.delete(item.id);
        index.addCommit(item.id, item.deps, item.bytes);
        for (const a of pending?.ackers ?? []) if (this.channels.has(a)) this.sendTo(out, a, { type: 'ack', id: item.id });
        // A channel that subscribed while the event waited for the disk missed both the
        // forward and (the event not being in the index yet) its own catch-up: it gets it now.
        const late = [...(this.subscribers.get(req.topicHex) ?? [])].filter((s) => !(pending?.forwarded.has(s) ?? s === item.from) && !this.channels.get(s)?.ringLink);
        if (late.length) {
          const frame = encodeWire({ type: 'event', commit: item.bytes });
          for (const s of late) out.send.push({ to: s, frame });
        }
      } else {
        index.setKeys(item.member, item.message);
        for (const s of this.subscribers.get(req.topicHex) ?? []) {
          if (s !== item.from && this.channels.get(s)?.isBroker) out.send.push({ to: s, frame: item.message });
        }
      }
    }
    if (isNew) {
      out.notices.push({ level: 'info', text: `new topic ${req.topicHex.slice(0, 16)}` });
      this.carry(req.topic, req.topicHex, out);
    }
    this.tellPeerBrokers(req.topicHex, out);
    this.release(req, now, out);
    return out;
  }

  /**
   * A peer broker learns of newly stored events through its sync session for the topic
   * (new heads), not only by forwarding: an event that arrived before the peer broker's
   * SUBSCRIBE did was forwarded to nobody there, and a session that had nothing to
   * exchange when it started would never speak again.
   */
  private tellPeerBrokers(topicHex: string, out: BrokerOutput): void {
    for (const c of this.channels.values()) {
      if (!c.isBroker || c.closing) continue;
      for (const entry of c.sessions.values()) if (entry.topicHexes.has(topicHex)) entry.needsPoll = true;
      this.flushIfIdle(c, out);
    }
  }

  /** The runtime reports that a store request failed: nothing of it is acknowledged. */
  storeFailed(requestId: number, reason: string, now: number): BrokerOutput {
    const out = emptyOutput();
    const req = this.requests.get(requestId);
    if (!req) return out;
    this.requests.delete(requestId);
    if (!this.topics.has(req.topicHex)) this.pendingNewTopics.delete(req.topicHex);
    this.pendingBytes.delete(req.topicHex);
    for (const item of req.items) {
      this.freeWindow(item.from, item.kind === 'commit' ? item.bytes.length : item.message.length);
      if (item.kind !== 'commit') continue;
      const pending = this.pendingIds.get(item.id);
      this.pendingIds.delete(item.id);
      for (const a of pending?.ackers ?? []) {
        const c = this.channels.get(a);
        if (c) this.error(out, c, 'internal', 'the broker could not store this event; send it again later', req.topic);
      }
    }
    out.notices.push({ level: 'warn', text: `store of topic ${req.topicHex.slice(0, 16)} failed: ${reason}` });
    this.release(req, now, out);
    return out;
  }

  private freeWindow(channel: ChannelId, bytes: number): void {
    const c = this.channels.get(channel);
    if (!c) return;
    c.windowEvents--;
    c.windowBytes -= bytes;
  }

  private release(req: PendingRequest, now: number, out: BrokerOutput): void {
    for (const id of req.channels) {
      const c = this.channels.get(id);
      if (!c) continue;
      c.pendingStores--;
      this.flushIfIdle(c, out);
      while (c.pendingStores === 0 && c.deferred.length > 0 && !c.closing) {
        const frame = c.deferred.shift()!;
        this.handle(c, frame, now, out);
      }
    }
  }

  /** Once nothing of the channel is pending on disk, its sync sessions may speak. */
  private flushIfIdle(c: ChannelState, out: BrokerOutput): void {
    if (c.pendingStores > 0) return;
    for (const entry of c.sessions.values()) {
      if (!entry.needsPoll) continue;
      entry.needsPoll = false;
      const step = entry.session.poll();
      for (const m of step.send) this.sendTo(out, c.id, { type: 'sync', topics: entry.topics, message: m });
    }
  }

  // ---- sync ----

  private sessionFor(c: ChannelState, topics: Uint8Array[]): SyncEntry | undefined {
    const hexes = topics.map(toHex);
    const key = [...hexes].sort().join(',');
    let entry = c.sessions.get(key);
    if (entry) return entry;
    if (!this.roomForSession(c, hexes)) return undefined;
    const source = new StreamSource(() => hexes.map((h) => this.topics.get(h)).filter((t): t is TopicIndex => t !== undefined));
    entry = { session: new SyncSession(source), topics: topics.map((t) => t.slice()), topicHexes: new Set(hexes), needsPoll: false };
    c.sessions.set(key, entry);
    return entry;
  }

  /**
   * Topics one connection may subscribe to or sync: a member's limit, or for a broker
   * (a ring link carries every topic both brokers carry) this broker's own maxTopics.
   */
  private subscriptionsAllowed(c: ChannelState): number {
    return c.isBroker ? this.limits.maxTopics : this.limits.maxSubscriptionsPerChannel;
  }

  /**
   * Sessions over topics stored here are what a connection's limit counts (a peer
   * broker's up to maxTopics: it syncs every topic both carry). A session over topics this
   * broker holds nothing of only asks for what it lacks; those are bounded by the
   * subscriptions a connection may hold, and do not count, so made-up topics that anyone
   * may SUBSCRIBE to (and that a broker carries to its peers) never crowd out a real one.
   */
  private roomForSession(c: ChannelState, hexes: readonly string[]): boolean {
    if (c.sessions.size >= this.subscriptionsAllowed(c)) return false;
    const stored = (topicHexes: Iterable<string>): boolean => [...topicHexes].some((h) => this.topics.has(h));
    if (!stored(hexes)) return true;
    let count = 0;
    for (const e of c.sessions.values()) if (stored(e.topicHexes)) count++;
    return count < (c.isBroker ? this.limits.maxTopics : this.limits.maxSyncSessionsPerChannel);
  }

  /**
   * A SYNC frame: its new commits wait in the publish window (a member catching a broker
   * up is slowed, not refused); every other byte (filters, heads, commits stored
   * already, a refused frame) is charged to the rate once the frame is read.
   */
  private sync(c: ChannelState, topics: Uint8Array[], message: Uint8Array, now: number, out: BrokerOutput): void {
    const windowBefore = c.windowBytes;
    this.syncFrame(c, topics, message, now, out);
    c.bytes.drain(now, Math.max(0, message.length - (c.windowBytes - windowBefore)));
  }

  private syncFrame(c: ChannelState, topics: Uint8Array[], message: Uint8Array, now: number, out: BrokerOutput): void {
    if (topics.length === 0) {
      this.refuse(out, c, now, 'malformed', 'a sync message names no topic');
      return;
    }
    for (const t of topics) {
      if (!this.admits(c, t, toHex(t), now, out)) return;
      if (c.ringLink && !this.carriesTopic(toHex(t))) return; // never take on a topic through a ring link
    }
    const entry = this.sessionFor(c, topics);
    if (!entry) {
      this.refuse(out, c, now, 'quota', `at most ${this.limits.maxSyncSessionsPerChannel} sync streams over stored topics per connection (${this.limits.maxSubscriptionsPerChannel} in all)`);
      return;
    }
    const step = entry.session.receive(message);
    if (step.error) {
      this.refuse(out, c, now, 'malformed', `sync message refused: ${step.error.message}`);
      return;
    }
    for (const m of step.send) this.sendTo(out, c.id, { type: 'sync', topics: entry.topics, message: m });
    const key = [...entry.topicHexes].sort().join(',');
    for (const commit of step.commits) this.acceptCommit(c, commit, now, out, { key, topicHexes: entry.topicHexes });
    entry.needsPoll = true;
    this.flushIfIdle(c, out);
  }

  // ---- presence, want, keys ----

  private presence(c: ChannelState, topic: Uint8Array, frame: Uint8Array, now: number, out: BrokerOutput): void {
    if (!c.presence.take(now)) {
      if (now - c.lastRateError >= 1000) {
        c.lastRateError = now;
        this.error(out, c, 'rate-limited', `at most ${this.limits.presencePerSecond} presence messages per second`, topic);
      }
      return;
    }
    const hex = toHex(topic);
    if (!this.admits(c, topic, hex, now, out)) return;
    for (const s of this.subscribers.get(hex) ?? []) if (s !== c.id) out.send.push({ to: s, frame });
  }

  private want(c: ChannelState, topic: Uint8Array, ids: readonly CommitId[], now: number, out: BrokerOutput): void {
    const hex = toHex(topic);
    const index = this.topics.get(hex);
    let budget = WANT_REPLY_BYTES;
    const lacking: CommitId[] = [];
    for (const id of ids) {
      const bytes = index?.commitBytes(id);
      if (!bytes) {
        if (!this.pendingIds.has(id)) lacking.push(id);
        continue;
      }
      if (bytes.length > budget) break;
      budget -= bytes.length;
      this.sendTo(out, c.id, { type: 'event', commit: bytes });
    }
    if (!c.isBroker && lacking.length > 0) this.ring.ask(c, topic, hex, lacking, now, out);
  }

  private keys(c: ChannelState, msg: Extract<WireMessage, { type: 'keys' }>, frame: Uint8Array, now: number, out: BrokerOutput): void {
    const hex = toHex(msg.topic);
    if (c.ringLink && !this.carriesTopic(hex)) return;
    if (!this.topicSigned(c, msg.topic, hex, keysSignedBytes(msg.member, msg.boxes), msg.signature, 'key boxes', now, out)) return;
    const current = this.topics.get(hex)?.keysFor(msg.member);
    if (current && bytesEqual(current.message, frame)) return;
    const room = this.roomFor(c, hex, frame.length, now);
    if (room) {
      this.refuse(out, c, now, 'quota', room, msg.topic);
      return;
    }
    const record = frame.slice();
    this.queueStore(out, c, msg.topic, hex, { kind: 'keys', member: msg.member, message: record, from: c.id }, record);
  }

  private chunkOffer(c: ChannelState, msg: Extract<WireMessage, { type: 'chunkoffer' }>, now: number, out: BrokerOutput): void {
    const hex = toHex(msg.topic);
    if (!this.topicSigned(c, msg.topic, hex, chunkOfferSignedBytes(msg.topic, msg.ids), msg.signature, 'chunk offer', now, out)) return;
    out.chunks.push({ kind: 'offer', channel: c.id, topic: msg.topic, topicHex: hex, ids: msg.ids });
  }

  /**
   * RELAYREQ (issue 19): a relay slot for a peer that proves it holds the key of a topic
   * carried here. Carried: events or key boxes of it are stored (or being stored), or the
   * operator listed it (allowlist mode). A valid request for a topic not stored yet (a
   * share's first connection, its events still on their way) waits on the channel until
   * the topic is; the runtime's relay waits a bounded time for the decision.
   */
  private relayRequest(c: ChannelState, msg: Extract<WireMessage, { type: 'relayreq' }>, now: number, out: BrokerOutput): void {
    const peer = c.source?.peer;
    const hex = toHex(msg.topic);
    const deny = (reason: string, code: WireErrorCode = 'unknown-topic'): void => {
      out.relay.push({ channel: c.id, peer: peer ?? '', granted: false, reason });
      this.refuse(out, c, now, code, `relay refused: ${reason}`, msg.topic);
    };
    if (peer === undefined || c.isBroker) return deny('relay slots are for peers, not for peer brokers');
    if (!this.allowed(hex)) return deny('this broker serves only its configured topics (allowlist mode)');
    if (!verify(msg.topic, relaySignedBytes(msg.topic, fromHex(peer)), msg.signature)) return deny('the request is not signed by the topic key for this peer', 'bad-signature');
    if (this.carries(hex)) {
      out.relay.push({ channel: c.id, peer, granted: true, reason: `topic ${hex.slice(0, 16)}` });
      return;
    }
    c.relayWaiting = hex;
  }

  private carries(hex: string): boolean {
    return this.topics.has(hex) || this.pendingNewTopics.has(hex) || (this.policy === 'allowlist' && this.allowlist.has(hex));
  }

  /** A topic began to be stored: grants the RELAYREQs that waited for it. */
  private topicCarried(hex: string, out: BrokerOutput): void {
    for (const c of this.channels.values()) {
      if (c.relayWaiting !== hex || c.source === undefined) continue;
      c.relayWaiting = undefined;
      out.relay.push({ channel: c.id, peer: c.source.peer, granted: true, reason: `topic ${hex.slice(0, 16)}` });
    }
  }

  /** The runtime refuses chunk input (unasked for, over quota, tampered): ERROR to the sender and a strike. */
  refuseChunk(channel: ChannelId, code: WireErrorCode, reason: string, now: number, topic?: Uint8Array): BrokerOutput {
    const out = emptyOutput();
    const c = this.channels.get(channel);
    if (c && !c.closing) this.refuse(out, c, now, code, reason, topic);
    return out;
  }

  // ---- helpers ----

  /** Is `topicHex` served here? If not (allowlist mode), refuses the sender. */
  private admits(c: ChannelState, topic: Uint8Array, topicHex: string, now: number, out: BrokerOutput): boolean {
    if (this.allowed(topicHex)) return true;
    this.refuse(out, c, now, 'unknown-topic', 'this broker serves only its configured topics (allowlist mode)', topic);
    return false;
  }

  /** Served here and signed by the topic key (KEYS, CHUNKOFFER)? If not, refuses the sender. */
  private topicSigned(c: ChannelState, topic: Uint8Array, topicHex: string, signed: Uint8Array, signature: Uint8Array, what: string, now: number, out: BrokerOutput): boolean {
    if (!this.admits(c, topic, topicHex, now, out)) return false;
    if (verify(topic, signed, signature)) return true;
    this.refuse(out, c, now, 'bad-signature', `${what} not signed by the topic key; dropped`, topic);
    return false;
  }

  private sendTo(out: BrokerOutput, to: ChannelId, m: WireMessage): void {
    out.send.push({ to, frame: encodeWire(m) });
  }

  private error(out: BrokerOutput, c: ChannelState, code: WireErrorCode, reason: string, topic?: Uint8Array): void {
    this.refusalCounts.set(code, (this.refusalCounts.get(code) ?? 0) + 1);
    this.sendTo(out, c.id, topic ? { type: 'error', code, topic, reason } : { type: 'error', code, reason });
  }

  /** Messages refused so far, by error code, and connections closed for misbehaving: what status.json shows an operator. */
  refusals(): { byCode: Record<string, number>; connectionsClosed: number } {
    return { byCode: Object.fromEntries([...this.refusalCounts].sort(([a], [b]) => (a < b ? -1 : 1))), connectionsClosed: this.closedForCause };
  }

  /** ERROR to the sender, plus a strike. */
  private refuse(out: BrokerOutput, c: ChannelState, now: number, code: WireErrorCode, reason: string, topic?: Uint8Array): void {
    this.error(out, c, code, reason, topic);
    out.notices.push({ level: 'info', channel: c.id, text: `refused (${code}): ${reason}` });
    this.strike(c, now, out, code);
  }

  private strike(c: ChannelState, now: number, out: BrokerOutput, why: string): void {
    if (!c.strikes.take(now)) this.closeChannel(c, out, `too many refused messages (last: ${why})`);
  }

  private closeChannel(c: ChannelState, out: BrokerOutput, reason: string): void {
    if (c.closing) return;
    c.closing = true;
    this.closedForCause++;
    out.close.push({ channel: c.id, reason });
    out.notices.push({ level: 'warn', channel: c.id, text: `closing connection: ${reason}` });
  }
}

/** A channel's state before its first frame. */
function newChannelState(id: ChannelId, buckets: Pick<ChannelState, 'messages' | 'bytes' | 'presence' | 'strikes'>, source?: ChannelSource): ChannelState {
  return {
    id,
    role: 'unknown',
    isBroker: false,
    subs: new Set(),
    sessions: new Map(),
    ...buckets,
    lastRateError: -Infinity,
    pendingStores: 0,
    windowEvents: 0,
    windowBytes: 0,
    deferred: [],
    closing: false,
    ...(source ? { source } : {}),
  };
}
