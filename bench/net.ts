/**
 * `npm run bench -- net`: the network path on loopback, with real libp2p transports,
 * durable logs (FileLogStore, fsync) and, for the broker figures, a real `weft broker`
 * process.
 *  - net.latency_p50/p99_ms: one edit from peer A to peer B, direct: from the start of
 *    A's commit (stored, then sent) to B having merged it (and stored it); 250 samples.
 *  - net.broker_latency_p50/p99_ms: the same with A and B connected only to a broker.
 *  - net.broker_events_per_s: events a broker stores and forwards to 50 subscribers.
 *  - net.catchup_ms / net.catchup_bytes: a peer that missed the whole automerge-paper
 *    log (as commits of 100 edits) catching up from a broker, nobody else online.
 * Goals: direct p99 < 20 ms, via broker < 50 ms, broker >= 10,000 events/s, catch-up < 3 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  signingKeyPairFromSeed,
  type SigningKeyPair,
  type CommitId,
  decodeWire,
  encodeWire,
  PUBSUB_PROTOCOL,
  type WireMessage,
  ShareNode,
  type FileId,
} from '../protocol/src/index.js';
import { PeerRuntime, type PeerAddress } from '../protocol/runtime/index.js';
import { FileLogStore, MemoryChunkStore } from '../protocol/storage/index.js';
import { createTransport, type FrameChannel, type Transport } from '../protocol/transport/index.js';
import { loadTrace } from './_traces.js';
import { record } from './report.js';
import { systemClock, systemRandom } from '../protocol/platform/index.js';

const WEFT = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/weft.js');
const SAMPLES = 250;
/** Edits per commit in the catch-up log (as bench/log.ts: 100 edits per commit, ~2,600 commits). */
const EVENTS = Number(process.env.WEFT_NET_EVENTS ?? 3000);
const CATCHUP_BATCH = Number(process.env.WEFT_NET_BATCH ?? 100);
const tmp = mkdtempSync(join(tmpdir(), 'weft-bench-net-'));
const cleanups: Array<() => Promise<void> | void> = [];

function key(n: number): SigningKeyPair {
  return signingKeyPairFromSeed(new Uint8Array(32).fill(n));
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function status(figure: string, value: number, goal: number, lower: boolean): void {
  const ok = lower ? value < goal : value >= goal;
  console.log(`  ${figure}: ${value.toFixed(2)} (goal ${lower ? '<' : '>='} ${goal}) ${ok ? 'MET' : 'NOT MET'}`);
}

async function transport(seed: number): Promise<Transport> {
  const t = createTransport({ identitySeed: key(seed).secretKey, listen: ['/ip4/127.0.0.1/tcp/0'] });
  await t.start();
  cleanups.push(() => t.stop());
  return t;
}

interface Team {
  a: ShareNode;
  b: ShareNode;
  file: FileId;
}

/** Owner a with one file, member b holding the keys and the log (as after joining). */
async function team(tag: string): Promise<Team> {
  const { node: a } = await ShareNode.create(new FileLogStore(join(tmp, `${tag}-a`)), 'bench', key(1));
  const file = a.replica.createFile('doc.txt', 'text', 'hello');
  a.replica.grant(key(2).publicKey, 'writer', 'b');
  await a.commit();
  const { node: b } = await ShareNode.open({ store: new FileLogStore(join(tmp, `${tag}-b`)), shareId: a.replica.shareId, me: key(2) });
  await b.addKeys(a.replica.keyBoxesFor(key(2).publicKey));
  for (const id of a.replica.topological()) await b.receive(a.replica.commitBytes(id)!);
  cleanups.push(() => a.close(), () => b.close());
  return { a, b, file };
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Latency samples of one edit from A to B over runtimes wired by `addrsOf`. */
async function latency(tag: string, addrs: (ta: Transport) => { a: PeerAddress[]; b: PeerAddress[] }, wantBrokers: number): Promise<number[]> {
  const t = await team(tag);
  const ta = await transport(11 + tag.length);
  const tb = await transport(21 + tag.length);
  const as = addrs(ta);
  const ra = new PeerRuntime({ chunks: new MemoryChunkStore(), clock: systemClock, random: systemRandom, node: t.a, transport: ta, addresses: as.a });
  const rb = new PeerRuntime({ chunks: new MemoryChunkStore(), clock: systemClock, random: systemRandom, node: t.b, transport: tb, addresses: as.b });
  ra.start();
  rb.start();
  cleanups.push(() => ra.stop(), () => rb.stop());
  const ready = () => (wantBrokers ? ra.status().brokers >= 1 && rb.status().brokers >= 1 : ra.status().peers === 1 && rb.status().peers === 1);
  await until(ready, 15_000, `${tag}: runtimes connected`);
  await new Promise((r) => setTimeout(r, 300));
  const waiting = new Map<CommitId, () => void>();
  rb.on('merged', (ids) => {
    for (const id of ids) waiting.get(id)?.();
  });
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES + 20; i++) {
    const t0 = performance.now();
    t.a.replica.edit(t.file, 0, 0, 'x');
    let resolveMerged!: () => void;
    const merged = new Promise<void>((r) => (resolveMerged = r));
    const env = await ra.commit();
    waiting.set(env!.id, resolveMerged);
    if (t.b.replica.has(env!.id)) resolveMerged();
    await Promise.race([merged, new Promise((r) => setTimeout(r, 2000))]);
    waiting.delete(env!.id);
    if (i >= 20) samples.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 2));
  }
  return samples;
}

interface Broker {
  proc: ChildProcess;
  tcp: string;
}

function startBroker(dir: string): Promise<Broker | undefined> {
  if (!existsSync(WEFT)) return Promise.resolve(undefined);
  return new Promise((res) => {
    const nodeFlags = (process.env.WEFT_NET_BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const proc = spawn(process.execPath, [...nodeFlags, WEFT, 'broker', '--data', dir, '--rate-messages', '1000000', '--rate-bytes', '1000000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => {
      // SIGTERM first: the broker stops cleanly (a --cpu-prof profile is written then).
      proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1500));
      proc.kill('SIGKILL');
    });
    let out = '';
    const timer = setTimeout(() => res(undefined), 15_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const tcp = [...out.matchAll(/^listening (\S+)$/gm)].map((m) => m[1]!).find((a) => !a.includes('/ws'));
      if (tcp) {
        clearTimeout(timer);
        res({ proc, tcp });
      }
    });
    proc.on('exit', () => res(undefined));
  });
}

/** A raw pub/sub client channel (for load): a frame reader with a message callback. */
/** Byte 2 of an encoded EVENT (after kind and version): subscribers count events without decoding them. */
const EVENT_TYPE_BYTE = encodeWire({ type: 'event', commit: new Uint8Array(0) })[2]!;

async function rawChannel(t: Transport, brokerAddr: string, onMsg: (m: WireMessage) => void, onEvent?: () => void): Promise<FrameChannel> {
  // A burst of dials can meet the broker's inbound connection limiter (ECONNRESET): retry.
  let info: Awaited<ReturnType<Transport['dial']>> | undefined;
  for (let attempt = 0; !info; attempt++) {
    try {
      info = await t.dial(brokerAddr);
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const ch = await t.openChannel(info.publicKey, PUBSUB_PROTOCOL);
  void (async () => {
    for await (const f of ch.frames()) {
      if (onEvent && f[2] === EVENT_TYPE_BYTE) onEvent();
      else onMsg(decodeWire(f));
    }
  })().catch(() => undefined);
  await ch.send(encodeWire({ type: 'hello', role: 'peer', software: 'weft-bench' }));
  return ch;
}

async function eventsPerSecond(broker: Broker): Promise<number> {
  const t = await team('load');
  const topic = t.a.replica.topicsNewestFirst();
  const N = EVENTS;
  let acks = 0;
  const commits: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    t.a.replica.edit(t.file, 0, 0, 'y');
    commits.push(t.a.replica.flush()!.bytes);
  }
  const subs = await Promise.all(Array.from({ length: 5 }, (_, i) => transport(40 + i)));
  const counts: number[] = [];
  let subscribed = 0;
  for (let s = 0; s < 50; s++) {
    counts.push(0);
    const ch = await rawChannel(
      subs[s % subs.length]!,
      broker.tcp,
      (m) => {
        if (m.type === 'subscribed') subscribed++;
      },
      () => counts[s]!++,
    );
    await ch.send(encodeWire({ type: 'subscribe', topics: topic }));
  }
  await until(() => subscribed >= 50, 15_000, 'subscribers subscribed');
  const pub = await rawChannel(await transport(60), broker.tcp, (m) => {
    if (m.type === 'error') console.log(`  broker refused: ${m.code} ${m.reason}`);
    else if (m.type === 'ack') acks++;
  });
  await pub.send(encodeWire({ type: 'subscribe', topics: topic }));
  // The broker needs the log's start (it forwards an event once its dependencies are stored).
  const before = t.a.replica.topological().slice(0, t.a.replica.graph.size - N);
  for (const id of before) await pub.send(encodeWire({ type: 'event', commit: t.a.replica.commitBytes(id)! }));
  await until(() => counts.every((c) => c >= before.length), 15_000, 'subscribers received the log start');
  for (let s = 0; s < counts.length; s++) counts[s] = 0;
  const t0 = performance.now();
  for (const c of commits) await pub.send(encodeWire({ type: 'event', commit: c }));
  await until(() => counts.every((c) => c >= N), 120_000, `50 subscribers received ${N} events (have ${Math.min(...counts)}..${Math.max(...counts)}, ${acks} acks)`);
  return N / ((performance.now() - t0) / 1000);
}

async function catchup(broker: Broker): Promise<{ ms: number; bytes: number; commits: number }> {
  const trace = loadTrace('automerge-paper');
  const { node: a } = await ShareNode.create(new FileLogStore(join(tmp, 'paper-a')), 'paper', key(1));
  const file = a.replica.createFile('paper.tex');
  a.replica.grant(key(3).publicKey, 'writer', 'late');
  await a.commit();
  let n = 0;
  for (const txn of trace.txns) {
    for (const [pos, del, ins] of txn.patches) a.replica.edit(file, pos, del, ins);
    if (++n % CATCHUP_BATCH === 0) await a.commit();
  }
  await a.commit();
  const total = a.replica.graph.size;
  const topics = a.replica.topicsNewestFirst();
  // The author publishes everything to the broker, then leaves.
  const ta = await transport(70);
  const ra = new PeerRuntime({ chunks: new MemoryChunkStore(), clock: systemClock, random: systemRandom, node: a, transport: ta, addresses: [{ role: 'broker', addr: broker.tcp }] });
  ra.start();
  await until(() => ra.status().brokers === 1 && ra.status().syncing === 0, 180_000, 'author synced with the broker');
  await new Promise((r) => setTimeout(r, 500));
  await ra.stop();
  await a.close();
  // The late peer holds its keys (as after KEYREQ) and nothing else.
  const { node: c } = await ShareNode.open({ store: new FileLogStore(join(tmp, 'paper-c')), shareId: a.replica.shareId, me: key(3) });
  await c.addKeys(a.replica.keyBoxesFor(key(3).publicKey));
  cleanups.push(() => c.close());
  const tc = await transport(71);
  const t0 = performance.now();
  // It knows the share's topics from its invitation (it holds no commit to read them from).
  const rc = new PeerRuntime({ chunks: new MemoryChunkStore(), clock: systemClock, random: systemRandom, node: c, transport: tc, addresses: [{ role: 'broker', addr: broker.tcp }], invitationTopics: topics });
  rc.start();
  cleanups.push(() => rc.stop());
  await until(() => c.replica.graph.size >= total, 60_000, `caught up (${c.replica.graph.size}/${total})`);
  const ms = performance.now() - t0;
  if (c.replica.text(c.replica.fileAt('paper.tex')!) !== a.replica.text(file)) throw new Error('catch-up text differs');
  return { ms, bytes: rc.bytesReceived, commits: total };
}

export async function run(): Promise<void> {
  try {
    const only = process.env.WEFT_NET_ONLY;
    const direct = only ? [0] : await latency('direct', (ta) => ({ a: [], b: [{ role: 'peer', addr: ta.addresses()[0]! }] }), 0);
    record({ figure: 'net.latency_p50_ms', weft: pct(direct, 50), unit: 'ms', runs: direct.length, input: 'one edit, peer to peer, loopback, fsync on both' });
    record({ figure: 'net.latency_p99_ms', weft: pct(direct, 99), unit: 'ms', runs: direct.length });
    status('direct p99 ms', pct(direct, 99), 20, true);

    const broker = await startBroker(join(tmp, 'broker'));
    if (!broker) {
      console.log('  weft broker not available: broker figures skipped');
      return;
    }
    const via = only ? [0] : await latency('broker', () => ({ a: [{ role: 'broker', addr: broker.tcp }], b: [{ role: 'broker', addr: broker.tcp }] }), 1);
    record({ figure: 'net.broker_latency_p50_ms', weft: pct(via, 50), unit: 'ms', runs: via.length, input: 'one edit, peer to broker to peer' });
    record({ figure: 'net.broker_latency_p99_ms', weft: pct(via, 99), unit: 'ms', runs: via.length });
    status('via broker p99 ms', pct(via, 99), 50, true);

    const eps = only === 'catchup' ? 0 : await eventsPerSecond(broker);
    record({ figure: 'net.broker_events_per_s', weft: eps, unit: 'per_s', input: `${EVENTS} events sent back to back by one publisher, each stored (fsync) and forwarded to 50 subscribers; one run`, note: `${Math.round(eps * 50)} deliveries/s` });
    status('broker events/s', eps, 10_000, false);

    if (only === 'events') return;
    const cu = await catchup(broker).catch((err: unknown) => {
      console.log(`  catch-up not measured: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    if (!cu) return;
    record({ figure: 'net.catchup_ms', weft: cu.ms, unit: 'ms', input: `automerge-paper, ${cu.commits} commits of ${CATCHUP_BATCH} edits, from a broker` });
    record({ figure: 'net.catchup_bytes', weft: cu.bytes, unit: 'bytes' });
    status('catch-up ms', cu.ms, 3000, true);
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}
