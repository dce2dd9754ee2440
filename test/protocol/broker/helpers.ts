/** Helpers for broker tests: real signed commits from a share, and a synchronous driver. */
import { sign, signingKeyPairFromSeed, type SigningKeyPair } from '../../../protocol/src/crypto/index.js';
import { Broker, type BrokerInit, type BrokerOutput, type ChannelId, type ChannelSource, type RelayDecision, type StoreRequest } from '../../../protocol/src/broker/index.js';
import { decodeWire, encodeWire, keysSignedBytes, type WireMessage } from '../../../protocol/src/multicast/wire.js';
import { makeTeam, rng, seededRandom } from '../share/harness.js';
import { decodeCommitEnvelope } from '../../../protocol/src/log/commit.js';
import { StreamSource, TopicIndex } from '../../../protocol/src/broker/index.js';
import { SyncSession, type SyncSessionInit } from '../../../protocol/src/sync/index.js';

export interface Stream {
  topic: Uint8Array;
  topicKey: SigningKeyPair;
  /** Commit envelopes, dependencies first. */
  commits: Uint8Array[];
  /** More commits made on demand (dependencies first). */
  more(n: number): Uint8Array[];
}

/**
 * A share with `n` commits on its one topic (genesis, grant, then edits). Seeded: the
 * same seed gives the same keys, commits and ids, so a broker test has fixed inputs.
 */
export function makeStream(n: number, name = 'notes.md', seed = seedOf(name)): Stream {
  const { net, owner } = makeTeam([['bob', 'writer']], seededRandom(rng(seed)));
  const file = owner.createFile(name, 'text', 'start');
  net.publish(owner.flush());
  const more = (k: number): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < k; i++) {
      owner.edit(file, 0, 0, `${i % 10}`);
      const env = net.publish(owner.flush())!;
      out.push(env.bytes);
    }
    return out;
  };
  const commits = net.order.map((id) => net.all.get(id)!);
  if (commits.length < n) commits.push(...more(n - commits.length));
  const epoch = owner.heldEpochs()[0]!;
  return { topic: epoch.topic, topicKey: signingKeyPairFromSeed(epoch.topicSecret!), commits: commits.slice(0, n), more };
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function keysMessage(stream: Stream, member: Uint8Array, boxes: Uint8Array[]): WireMessage {
  return { type: 'keys', topic: stream.topic, member, boxes, signature: sign(stream.topicKey.secretKey, keysSignedBytes(member, boxes)) };
}

/**
 * Drives a Broker synchronously: sends are decoded into per-channel inboxes; store
 * requests complete at once unless `holdStores` is set (then `completeStores()`).
 */
export class Driver {
  readonly broker: Broker;
  readonly inbox = new Map<string, WireMessage[]>();
  readonly closed: string[] = [];
  readonly stored: StoreRequest[] = [];
  readonly held: StoreRequest[] = [];
  /** RELAYREQ decisions, in order. */
  readonly relay: RelayDecision[] = [];
  holdStores = false;
  now = 1_000_000;

  constructor(init: BrokerInit = {}) {
    this.broker = new Broker(init);
  }

  connect(id: string, opts: { peerBroker?: boolean; source?: ChannelSource } = {}): void {
    this.inbox.set(id, []);
    this.apply(this.broker.connect(id as ChannelId, this.now, opts));
  }

  send(id: string, m: WireMessage | Uint8Array): void {
    const frame = m instanceof Uint8Array ? m : encodeWire(m);
    this.apply(this.broker.receive(id as ChannelId, frame, this.now));
  }

  take(id: string): WireMessage[] {
    const box = this.inbox.get(id) ?? [];
    this.inbox.set(id, []);
    return box;
  }

  completeStores(): void {
    while (this.held.length > 0) {
      const req = this.held.shift()!;
      this.stored.push(req);
      this.apply(this.broker.stored(req.id, this.now));
    }
  }

  apply(out: BrokerOutput): void {
    for (const s of out.send) this.inbox.get(s.to)?.push(decodeWire(s.frame));
    for (const c of out.close) this.closed.push(c.channel);
    this.relay.push(...out.relay);
    for (const req of out.store) {
      if (this.holdStores) this.held.push(req);
      else {
        this.stored.push(req);
        this.apply(this.broker.stored(req.id, this.now));
      }
    }
  }
}

export function types(ms: WireMessage[]): string[] {
  return ms.map((m) => (m.type === 'error' ? `error:${m.code}` : m.type));
}


/** A client-side replica of one topic: just ids, deps and bytes. */
export class ClientLog {
  readonly index: TopicIndex;
  readonly source: StreamSource;
  constructor(topic: Uint8Array) {
    this.index = new TopicIndex(topic);
    this.source = new StreamSource(() => [this.index]);
  }
  merge(bytes: Uint8Array): void {
    const env = decodeCommitEnvelope(bytes);
    this.index.addCommit(env.id, env.deps, bytes);
  }
}

/** Runs a client SyncSession against the driver's broker until nothing more flows. */
export function syncWithBroker(d: Driver, channel: string, topic: Uint8Array, log: ClientLog, init: SyncSessionInit = {}): void {
  const session = new SyncSession(log.source, init);
  for (const m of session.start()) d.send(channel, { type: 'sync', topics: [topic], message: m });
  for (let round = 0; round < 50; round++) {
    const replies = d.take(channel).filter((m) => m.type === 'sync');
    if (replies.length === 0) return;
    for (const r of replies) {
      if (r.type !== 'sync') continue;
      const step = session.receive(r.message);
      for (const c of step.commits) log.merge(c);
      for (const m of step.send) d.send(channel, { type: 'sync', topics: [topic], message: m });
      for (const m of session.poll().send) d.send(channel, { type: 'sync', topics: [topic], message: m });
    }
  }
  throw new Error('sync did not settle in 50 rounds');
}
