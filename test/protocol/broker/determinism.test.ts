/**
 * Sans-I/O means repeatable: the broker state machine (with the sync sessions it runs)
 * given the same inputs in the same order, at the same times, gives the same outputs,
 * bit for bit. A seeded scenario of clients publishing (valid, duplicate, forged and
 * malformed events), subscribing, catching up by SYNC (with commits the broker lacks),
 * asking for events, sending presence and disconnecting, with store completions held
 * and released in a seeded order, runs twice; every output of the two runs is compared.
 */
import assert from 'node:assert/strict';
import { Broker, type BrokerOutput, type ChannelId } from '../../../protocol/src/broker/index.js';
import { toHex } from '../../../protocol/src/crypto/index.js';
import { decodeCommitEnvelope } from '../../../protocol/src/log/commit.js';
import { decodeWire, encodeWire, type WireMessage } from '../../../protocol/src/multicast/wire.js';
import { SyncSession } from '../../../protocol/src/sync/index.js';
import { rng } from '../share/harness.js';
import { ClientLog, makeStream, type Stream } from './helpers.js';

interface Client {
  readonly id: ChannelId;
  readonly log: ClientLog;
  session: SyncSession | undefined;
  inbox: WireMessage[];
}

/** Runs the scenario for `seed` on a fresh broker; returns the transcript of every output. */
function runScenario(seed: number, stream: Stream): { transcript: string[]; stored: number } {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const broker = new Broker({ limits: { messagesPerSecond: 200, maxStrikes: 20 } });
  const transcript: string[] = [];
  const held: number[] = [];
  const clients = new Map<ChannelId, Client>();
  let now = 1_000_000;

  const record = (input: string, out: BrokerOutput): void => {
    transcript.push(`> ${input} @${now}`);
    for (const s of out.send) {
      transcript.push(`send ${s.to} ${toHex(s.frame)}`);
      clients.get(s.to)?.inbox.push(decodeWire(s.frame));
    }
    for (const r of out.store) {
      transcript.push(`store ${r.id} ${r.topicHex} ${r.records.map(toHex).join(',')}`);
      held.push(r.id);
    }
    for (const c of out.close) transcript.push(`close ${c.channel} ${c.reason}`);
    for (const n of out.notices) transcript.push(`notice ${n.level} ${n.channel ?? '-'} ${n.text}`);
    for (const w of out.chunks) transcript.push(`chunks ${w.kind} ${w.channel}`);
  };
  const send = (c: Client, m: WireMessage | Uint8Array, what: string): void => {
    const frame = m instanceof Uint8Array ? m : encodeWire(m);
    record(`${c.id} ${what}`, broker.receive(c.id, frame, now));
  };

  // Client 0 publishes the first half; the others hold random subsets of the rest.
  const half = Math.floor(stream.commits.length / 2);
  for (let step = 0; step < 400; step++) {
    now += Math.floor(random() * 40);
    const action = random();
    if (clients.size === 0 || (action < 0.08 && clients.size < 5)) {
      const id = `c${step}` as ChannelId;
      const log = new ClientLog(stream.topic);
      for (const c of stream.commits) if (random() < 0.6) log.merge(c);
      clients.set(id, { id, log, session: undefined, inbox: [] });
      record(`${id} connect`, broker.connect(id, now));
      continue;
    }
    const c = pick([...clients.values()]);
    if (action < 0.3) {
      const commit = pick(stream.commits.slice(0, half + Math.floor(random() * half)));
      send(c, { type: 'event', commit }, 'event');
    } else if (action < 0.35) {
      const forged = pick(stream.commits).slice();
      forged[forged.length - 1]! ^= 1;
      send(c, { type: 'event', commit: forged }, 'forged event');
    } else if (action < 0.38) {
      send(c, Uint8Array.of(0x4d, 1, 99, 1, 2, 3), 'malformed');
    } else if (action < 0.48) {
      send(c, { type: 'subscribe', topics: [stream.topic] }, 'subscribe');
    } else if (action < 0.6) {
      c.session = new SyncSession(c.log.source);
      for (const m of c.session.start()) send(c, { type: 'sync', topics: [stream.topic], message: m }, 'sync start');
    } else if (action < 0.75) {
      // The client works through what the broker sent it.
      for (const m of c.inbox.splice(0)) {
        if (m.type === 'event') c.log.merge(m.commit);
        if (m.type !== 'sync' || !c.session) continue;
        const step = c.session.receive(m.message);
        for (const commit of step.commits) c.log.merge(commit);
        for (const out of [...step.send, ...c.session.poll().send]) send(c, { type: 'sync', topics: [stream.topic], message: out }, 'sync');
      }
    } else if (action < 0.8) {
      const ids = stream.commits.filter(() => random() < 0.3).map((b) => decodeCommitEnvelope(b).id);
      send(c, { type: 'want', topic: stream.topic, ids }, 'want');
    } else if (action < 0.85) {
      send(c, { type: 'presence', topic: stream.topic, payload: Uint8Array.of(step & 0xff) }, 'presence');
    } else if (action < 0.97) {
      // Stores complete in a seeded order, some later than others.
      const n = Math.floor(random() * (held.length + 1));
      for (let i = 0; i < n; i++) {
        const id = held.splice(Math.floor(random() * held.length), 1)[0]!;
        record(`stored ${id}`, broker.stored(id, now));
      }
    } else {
      clients.delete(c.id);
      record(`${c.id} disconnect`, broker.disconnect(c.id));
    }
  }
  while (held.length > 0) {
    const id = held.shift()!;
    record(`stored ${id}`, broker.stored(id, now));
  }
  return { transcript, stored: broker.topicSummaries()[0]?.events ?? 0 };
}

describe('broker/determinism', () => {
  const stream = makeStream(40, 'determinism.md', 7);

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`the same inputs give the same outputs, bit for bit (seed ${seed})`, () => {
      const first = runScenario(seed, stream);
      const second = runScenario(seed, stream);
      assert.ok(first.stored > 0, 'the scenario stored events');
      assert.ok(first.transcript.some((l) => l.includes('refused (bad-signature)')), 'the scenario refused a forged event');
      assert.equal(second.transcript.length, first.transcript.length, `seed ${seed}: transcripts differ in length`);
      for (let i = 0; i < first.transcript.length; i++) assert.equal(second.transcript[i], first.transcript[i], `seed ${seed}: output ${i} differs`);
    });
  }

  it('different seeds give different runs (the transcript sees the inputs)', () => {
    assert.notDeepEqual(runScenario(1, stream).transcript, runScenario(2, stream).transcript);
  });
});
