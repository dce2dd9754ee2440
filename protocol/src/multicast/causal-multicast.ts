/**
 * Reliable causal multicast for one share, sans-I/O: the events of the share's topics
 * reach every subscriber once, in causal order, over neighbours that are peers or
 * brokers. Inputs: connected / disconnected / receive / localCommit / localPresence /
 * merged / tick, each with `now`; every call returns messages to send, commits to
 * merge (the replica's pending buffer puts them in causal order), presence payloads,
 * the messages the caller handles itself (keys, errors, hello), and when to tick next.
 *
 * - Push: a local commit goes as EVENT to every neighbour subscribed to its topic.
 *   Each receiver ACKs it (brokers once stored; peers on receipt); unacknowledged
 *   events are sent again after `ackTimeoutMs` (doubling), so a lost frame at the
 *   tail of an editing burst is not lost for good.
 * - Relay: a new event from a peer is forwarded to every other neighbour subscribed
 *   to its topic (peers relay to peers, and hand it to brokers, which deduplicate);
 *   events from a broker go to peers only (brokers forward among themselves).
 *   Never back to the sender. Only events whose topic signature verifies are relayed.
 * - Dedupe: a bounded set of seen ids, checked before anything else.
 * - Gaps: ids the replica wants are asked for with WANT (gaps.ts), one neighbour at a
 *   time, round robin, until merged.
 * - Catch-up: one SyncSession per neighbour, started when it connects; its SYNC
 *   messages carry the stream's topics.
 * - Heads: once a session is done, new commits travel by push, and a push can miss a
 *   neighbour for good (a relay made before the neighbour subscribed to a rotated
 *   topic, a frame lost at the end of a burst). So when our heads have changed, at most
 *   `headsAnnounceMs` later (default 1 s) each idle session sends them (a few bytes);
 *   a neighbour that lacks one asks for it, and the session repairs the gap. Without
 *   this, the last edits before everyone stops typing could stay missing at a teammate
 *   until someone typed again.
 */
import { decodeCommitEnvelope, verifyTopicSignature } from '../log/commit.js';
import type { CommitId } from '../log/ids.js';
import { SyncSession, type SyncSource } from '../sync/index.js';
import { GapTracker, type GapTimings } from './gaps.js';
import { MAX_WANT, type WireMessage } from './wire.js';

export type NeighbourRole = 'peer' | 'broker';

/** What the multicast needs from the replica (a ShareReplica fits). */
export interface MulticastReplica extends SyncSource {
  /** Ids of missing dependencies of buffered commits. */
  wanted(): CommitId[];
}

export interface MulticastInit extends GapTimings {
  replica: MulticastReplica;
  /** The share's topics, newest first (what to subscribe to and name in SYNC). */
  topics: () => Uint8Array[];
  /** Ids remembered for deduplication (default 65,536). */
  seenLimit?: number;
  /** Resend an unacknowledged local event after this long (default 400 ms, doubling). */
  ackTimeoutMs?: number;
  /** Give up resending after this many tries (default 8; catch-up covers the rest). */
  maxRetransmits?: number;
  /** Idle sessions send our heads this long after they changed (default 1000 ms). */
  headsAnnounceMs?: number;
}

export interface Outgoing {
  to: string;
  msg: WireMessage;
}

export interface MulticastOutput {
  send: Outgoing[];
  /** Commits to merge, in order (then call merged()). */
  deliver: Array<{ from: string; commit: Uint8Array }>;
  /** Presence payloads received (opaque here; presence.ts opens them). */
  presence: Array<{ from: string; topic: Uint8Array; payload: Uint8Array }>;
  /** Messages for the caller: hello, subscribed, error, keys, keyreq. */
  other: Array<{ from: string; msg: WireMessage }>;
  /** Input that was dropped (bad commit bytes, bad signature), for reporting. */
  dropped: Array<{ from: string; reason: string }>;
  /** Call tick() at this time (undefined: nothing pending). */
  nextTickAt: number | undefined;
}

export interface MulticastStats {
  eventsReceived: number;
  duplicates: number;
  wantsSent: number;
  retransmits: number;
  relayed: number;
}

interface Unacked {
  bytes: Uint8Array;
  due: number;
  tries: number;
}

interface Neighbour {
  readonly id: string;
  readonly role: NeighbourRole;
  /** Topics (hex) it is subscribed to (peers: from its SUBSCRIBE; brokers: ours, minus refusals). */
  readonly topics: Set<string>;
  session: SyncSession;
  /** The topics the session's messages name (a broker keeps one session per stream of sorted topics). */
  stream: Uint8Array[];
  /** A sync exchange is under way: poll the session after merges. */
  syncing: boolean;
  readonly unacked: Map<CommitId, Unacked>;
}

export class CausalMulticast {
  private readonly replica: MulticastReplica;
  private readonly topics: () => Uint8Array[];
  private readonly neighbours = new Map<string, Neighbour>();
  private readonly seen = new Map<CommitId, true>();
  private readonly seenPresence = new Map<string, true>();
  private readonly wantTopic = new Map<CommitId, Uint8Array>();
  private readonly gaps: GapTracker;
  private readonly seenLimit: number;
  private readonly ackTimeoutMs: number;
  private readonly maxRetransmits: number;
  private readonly headsAnnounceMs: number;
  /** Our heads when they were last announced (or seen unchanged), and when to announce next. */
  private announcedHeads = '';
  private announceAt: number | undefined;
  readonly stats: MulticastStats = { eventsReceived: 0, duplicates: 0, wantsSent: 0, retransmits: 0, relayed: 0 };

  constructor(init: MulticastInit) {
    this.replica = init.replica;
    this.topics = init.topics;
    this.gaps = new GapTracker(init);
    this.seenLimit = init.seenLimit ?? 65_536;
    this.ackTimeoutMs = init.ackTimeoutMs ?? 400;
    this.maxRetransmits = init.maxRetransmits ?? 8;
    this.headsAnnounceMs = init.headsAnnounceMs ?? 1000;
  }

  /** Neighbour ids and roles, in connection order. */
  neighbourList(): Array<{ id: string; role: NeighbourRole; syncing: boolean }> {
    return [...this.neighbours.values()].map((n) => ({ id: n.id, role: n.role, syncing: n.syncing }));
  }

  /** A channel to a neighbour is open (and its role known): subscribe and start catching up. */
  connected(id: string, role: NeighbourRole, now: number): MulticastOutput {
    const out = emptyOutput();
    this.neighbours.delete(id);
    const topics = this.topics();
    const n: Neighbour = {
      id,
      role,
      topics: new Set(role === 'broker' ? topics.map(hex) : []),
      session: new SyncSession(this.replica),
      stream: topics,
      syncing: true,
      unacked: new Map(),
    };
    this.neighbours.set(id, n);
    if (topics.length) {
      out.send.push({ to: id, msg: { type: 'subscribe', topics } });
      this.startSync(n, topics, out);
    }
    return this.finish(out, now);
  }

  /** A new catch-up session with `n` on the stream of `topics`. */
  private startSync(n: Neighbour, topics: Uint8Array[], out: MulticastOutput): void {
    n.session = new SyncSession(this.replica);
    n.stream = topics;
    n.syncing = true;
    for (const m of n.session.start()) out.send.push({ to: n.id, msg: { type: 'sync', topics, message: m } });
  }

  disconnected(id: string): void {
    this.neighbours.delete(id);
  }

  /** The stream changed (a rotation announced a topic, or keys arrived): subscribe again everywhere. */
  resubscribe(now: number): MulticastOutput {
    const out = emptyOutput();
    const topics = this.topics();
    if (topics.length === 0) return this.finish(out, now);
    for (const n of this.neighbours.values()) {
      if (n.role === 'broker') for (const t of topics) n.topics.add(hex(t));
      out.send.push({ to: n.id, msg: { type: 'subscribe', topics } });
      // A broker keys sync sessions by stream: going on with the old session under the new
      // topics met a fresh session there ('bad-answer'), and the catch-up stopped for good.
      if (n.role === 'broker' && streamKey(topics) !== streamKey(n.stream)) this.startSync(n, topics, out);
    }
    return this.finish(out, now);
  }

  /** Restarts catch-up with every neighbour (e.g. after keys arrived for a joiner). */
  resync(now: number): MulticastOutput {
    const out = emptyOutput();
    const topics = this.topics();
    if (topics.length === 0) return this.finish(out, now);
    for (const n of this.neighbours.values()) this.startSync(n, topics, out);
    return this.finish(out, now);
  }

  receive(from: string, msg: WireMessage, now: number): MulticastOutput {
    const out = emptyOutput();
    const n = this.neighbours.get(from);
    if (!n) {
      out.other.push({ from, msg });
      return this.finish(out, now);
    }
    switch (msg.type) {
      case 'subscribe':
        if (n.role === 'peer') {
          n.topics.clear();
          for (const t of msg.topics) n.topics.add(hex(t));
        }
        break;
      case 'unsubscribe':
        n.topics.delete(hex(msg.topic));
        break;
      case 'event':
        this.onEvent(n, msg.commit, out);
        break;
      case 'ack':
        n.unacked.delete(msg.id);
        break;
      case 'sync': {
        // A broker's answer in a session we left for a new stream (our topics changed).
        if (n.role === 'broker' && streamKey(msg.topics) !== streamKey(n.stream)) break;
        const step = n.session.receive(msg.message);
        if (step.error) {
          out.dropped.push({ from, reason: `sync: ${step.error.message}` });
          // A session the peer no longer agrees with: start afresh on both sides' next contact.
          n.session = new SyncSession(this.replica);
          break;
        }
        n.syncing = true;
        for (const m of step.send) out.send.push({ to: from, msg: { type: 'sync', topics: n.stream, message: m } });
        for (const c of step.commits) out.deliver.push({ from, commit: c });
        // Commits delivered: the caller merges them and calls merged(), which polls. None
        // (their heads only): poll now, or heads we lack would never be asked for.
        if (step.commits.length === 0) this.pollSession(n, out);
        break;
      }
      case 'presence': {
        const key = presenceKey(msg.topic, msg.payload);
        if (this.seenPresence.has(key)) break;
        remember(this.seenPresence, key, 4096);
        out.presence.push({ from, topic: msg.topic, payload: msg.payload });
        const th = hex(msg.topic);
        for (const m of this.neighbours.values()) if (m !== n && m.role === 'peer' && m.topics.has(th)) out.send.push({ to: m.id, msg });
        break;
      }
      case 'want':
        for (const id of msg.ids) {
          const bytes = this.replica.commitBytes(id);
          if (bytes) out.send.push({ to: from, msg: { type: 'event', commit: bytes } });
        }
        break;
      case 'error':
        if (msg.code === 'unknown-topic' && msg.topic && n.role === 'broker') n.topics.delete(hex(msg.topic));
        out.other.push({ from, msg });
        break;
      default:
        out.other.push({ from, msg });
    }
    return this.finish(out, now);
  }

  private onEvent(n: Neighbour, bytes: Uint8Array, out: MulticastOutput): void {
    let env;
    try {
      env = decodeCommitEnvelope(bytes);
    } catch (err) {
      out.dropped.push({ from: n.id, reason: `event: ${(err as Error).message}` });
      return;
    }
    this.stats.eventsReceived++;
    if (n.role === 'peer') out.send.push({ to: n.id, msg: { type: 'ack', id: env.id } });
    if (this.seen.has(env.id) || this.replica.has(env.id)) {
      this.stats.duplicates++;
      return;
    }
    if (!verifyTopicSignature(env)) {
      out.dropped.push({ from: n.id, reason: 'event: bad topic signature' });
      return;
    }
    remember(this.seen, env.id, this.seenLimit);
    for (const d of env.deps) if (!this.replica.has(d) && !this.wantTopic.has(d)) this.wantTopic.set(d, env.topic);
    out.deliver.push({ from: n.id, commit: bytes });
    const th = hex(env.topic);
    const msg: WireMessage = { type: 'event', commit: bytes };
    for (const m of this.neighbours.values()) {
      if (m === n || !m.topics.has(th)) continue;
      if (m.role === 'broker' && n.role === 'broker') continue;
      out.send.push({ to: m.id, msg });
      this.stats.relayed++;
    }
  }

  /** A commit made here, already stored durably: push it to every subscribed neighbour. */
  localCommit(bytes: Uint8Array, now: number): MulticastOutput {
    const out = emptyOutput();
    const env = decodeCommitEnvelope(bytes);
    remember(this.seen, env.id, this.seenLimit);
    const th = hex(env.topic);
    for (const n of this.neighbours.values()) {
      if (!n.topics.has(th)) continue;
      out.send.push({ to: n.id, msg: { type: 'event', commit: bytes } });
      n.unacked.set(env.id, { bytes, due: now + this.ackTimeoutMs, tries: 0 });
    }
    return this.finish(out, now);
  }

  /** A presence payload made here: to every neighbour subscribed to its topic. */
  localPresence(topic: Uint8Array, payload: Uint8Array, now: number): MulticastOutput {
    const out = emptyOutput();
    remember(this.seenPresence, presenceKey(topic, payload), 4096);
    const th = hex(topic);
    for (const n of this.neighbours.values()) if (n.topics.has(th)) out.send.push({ to: n.id, msg: { type: 'presence', topic, payload } });
    return this.finish(out, now);
  }

  /** The caller merged what was delivered: continue catch-up, note new gaps. */
  merged(now: number): MulticastOutput {
    const out = emptyOutput();
    for (const n of this.neighbours.values()) if (n.syncing) this.pollSession(n, out);
    return this.finish(out, now);
  }

  /** Lets a session speak (our new heads, a repair request) and notes whether it is done. */
  private pollSession(n: Neighbour, out: MulticastOutput): void {
    const step = n.session.poll();
    for (const m of step.send) out.send.push({ to: n.id, msg: { type: 'sync', topics: n.stream, message: m } });
    n.syncing = !(n.session.done || step.error !== undefined);
  }

  tick(now: number): MulticastOutput {
    const out = emptyOutput();
    if (this.announceAt !== undefined && this.announceAt <= now) {
      this.announceAt = undefined;
      this.announcedHeads = this.replica.heads().join();
      for (const n of this.neighbours.values()) this.pollSession(n, out);
    }
    const order = [...this.neighbours.keys()];
    for (const req of this.gaps.due(now, order, MAX_WANT)) {
      const topic = req.topic ?? this.topics()[0];
      if (!topic) continue;
      for (const id of req.ids) this.seen.delete(id);
      out.send.push({ to: req.to, msg: { type: 'want', topic, ids: req.ids } });
      this.stats.wantsSent++;
    }
    for (const n of this.neighbours.values()) {
      for (const [id, u] of n.unacked) {
        if (u.due > now) continue;
        if (++u.tries > this.maxRetransmits) {
          n.unacked.delete(id);
          continue;
        }
        u.due = now + this.ackTimeoutMs * 2 ** u.tries;
        out.send.push({ to: n.id, msg: { type: 'event', commit: u.bytes } });
        this.stats.retransmits++;
      }
    }
    return this.finish(out, now);
  }

  /** Has a sync with some neighbour finished with something merged (our heads equal to its latest)? */
  caughtUp(): boolean {
    if (this.replica.heads().length === 0) return false;
    for (const n of this.neighbours.values()) if (!n.syncing && n.session.done) return true;
    return false;
  }

  /** Sync progress per neighbour, for status displays. */
  syncing(): number {
    let k = 0;
    for (const n of this.neighbours.values()) if (n.syncing) k++;
    return k;
  }

  private finish(out: MulticastOutput, now: number): MulticastOutput {
    const wanted = this.replica.wanted();
    this.gaps.update(wanted, now, (id) => this.wantTopic.get(id));
    if (this.wantTopic.size > 4 * this.seenLimit) this.wantTopic.clear();
    let next = this.neighbours.size > 0 ? this.gaps.nextDue() : undefined;
    for (const n of this.neighbours.values()) for (const u of n.unacked.values()) if (next === undefined || u.due < next) next = u.due;
    if (this.announceAt === undefined && this.neighbours.size > 0 && this.replica.heads().join() !== this.announcedHeads) this.announceAt = now + this.headsAnnounceMs;
    if (this.announceAt !== undefined && (next === undefined || this.announceAt < next)) next = this.announceAt;
    out.nextTickAt = next;
    return out;
  }
}

function emptyOutput(): MulticastOutput {
  return { send: [], deliver: [], presence: [], other: [], dropped: [], nextTickAt: undefined };
}

function remember<K>(m: Map<K, true>, k: K, limit: number): void {
  m.set(k, true);
  if (m.size > limit) m.delete(m.keys().next().value as K);
}

/** A stream's key: its topics, sorted (as a broker keys its sync sessions). */
function streamKey(topics: readonly Uint8Array[]): string {
  return topics.map(hex).sort().join(',');
}

function presenceKey(topic: Uint8Array, payload: Uint8Array): string {
  return hex(topic.subarray(0, 8)) + hex(payload.subarray(Math.max(0, payload.length - 16)));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x];
  return s;
}
