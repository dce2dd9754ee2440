/**
 * An outsider attacking a broker, as a child process so that its CPU work (Noise,
 * signatures) is not charged to the test's honest client:
 *   node broker-attacker.js partial-frames ADDR CHANNELS FRAME_BYTES TAIL_BYTES
 *     one connection, CHANNELS pubsub channels, each sent the header of a FRAME_BYTES
 *     frame and all of its body but the last TAIL_BYTES; then it holds them open.
 *   node broker-attacker.js topic-flood ADDR COUNT
 *     COUNT topics minted (one self-signed event each, as fast as the broker answers),
 *     reconnecting with a new identity whenever the broker closes the connection.
 *   node broker-attacker.js members ADDR COUNT
 *     COUNT honest members dial at once from this one address (as from behind one office
 *     NAT), retrying refused dials with backoff (250 ms doubling to 2 s) and jitter, each subscribes to
 *     its share's topic; then they hold.
 * Reports are JSON lines on stdout: {"event": ..., ...}.
 */
import '../../protocol/transport/polyfills.js';
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import type { Stream } from '@libp2p/interface';
import { encodeFrameHeader } from '../../protocol/transport/frame-codec.js';
import { PUBSUB_PROTOCOL } from '../../protocol/src/multicast/wire.js';
import { WireClient } from './broker-helpers.js';
import { outsiderEvent } from './broker-probe.js';

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

/** Sends `bytes`, waiting for the stream's drain when it pushes back; false once the stream is gone. */
async function write(stream: Stream, bytes: Uint8Array): Promise<boolean> {
  if (stream.writeStatus !== 'writable') return false;
  try {
    if (stream.send(bytes)) return true;
  } catch {
    return false;
  }
  return new Promise<boolean>((res) => {
    const done = (ok: boolean) => () => {
      stream.removeEventListener('drain', onDrain);
      stream.removeEventListener('close', onClose);
      res(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    stream.addEventListener('drain', onDrain);
    stream.addEventListener('close', onClose);
  });
}

async function partialFrames(addr: string, channels: number, frameBytes: number, tailBytes: number): Promise<void> {
  const node = await createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] });
  await node.start();
  const conn = await node.dial(multiaddr(addr));
  const streams: Stream[] = [];
  let refused = 0;
  let closed = 0;
  for (let i = 0; i < channels; i++) {
    try {
      const s = await conn.newStream(PUBSUB_PROTOCOL, { maxOutboundStreams: 100_000 });
      s.addEventListener('close', () => {
        closed++;
        report('closed', { closed });
      });
      streams.push(s);
    } catch {
      refused++;
    }
  }
  report('opened', { opened: streams.length, refused });
  const piece = new Uint8Array(64 * 1024).fill(0x4d);
  let sent = 0;
  await Promise.all(
    streams.map(async (s) => {
      if (!(await write(s, encodeFrameHeader(frameBytes)))) return;
      for (let left = frameBytes - tailBytes; left > 0; left -= piece.length) {
        const part = left >= piece.length ? piece : piece.subarray(0, left);
        if (!(await write(s, part))) return;
        sent += part.length;
      }
    }),
  );
  report('holding', { sent, closed, connection: conn.status });
  // held until the test kills this process
  await new Promise(() => {});
}

async function topicFlood(addr: string, count: number): Promise<void> {
  const started = Date.now();
  const refused = new Map<string, number>();
  let stored = 0;
  let connections = 0;
  let client: WireClient | undefined;
  for (let i = 0; i < count; i++) {
    if (!client || client.closed) {
      await client?.close();
      client = await WireClient.connect(addr);
      connections++;
    }
    const env = outsiderEvent();
    try {
      await client.send({ type: 'event', commit: env.bytes });
      const answer = await client.next((m) => (m.type === 'ack' && m.id === env.id) || m.type === 'error', 10_000);
      if (answer.type === 'ack') stored++;
      else if (answer.type === 'error') {
        const key = `${answer.code}: ${answer.reason}`;
        refused.set(key, (refused.get(key) ?? 0) + 1);
      }
    } catch (err) {
      const key = `no answer: ${err instanceof Error ? err.message : String(err)}`;
      refused.set(key, (refused.get(key) ?? 0) + 1);
    }
  }
  await client?.close();
  report('done', { stored, refused: Object.fromEntries(refused), connections, ms: Date.now() - started });
  process.exit(0);
}

/**
 * Connects, like a peer (protocol/runtime/peer-runtime.ts keepConnected, which starts at 500 ms): a refused dial
 * is tried again after half to one and a half times a backoff that doubles from 250 ms.
 */
async function connectWithRetry(addr: string, until: number, onRetry: () => void): Promise<WireClient> {
  for (let backoff = 250; ; backoff = Math.min(backoff * 2, 2000)) {
    try {
      return await WireClient.connect(addr);
    } catch (err) {
      const wait = Math.floor(backoff / 2 + Math.random() * backoff);
      if (Date.now() + wait > until) throw err;
      onRetry();
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function members(addr: string, count: number): Promise<void> {
  const started = Date.now();
  const failures: string[] = [];
  const joinedMs: number[] = [];
  const clients: WireClient[] = [];
  let retries = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      try {
        const c = await connectWithRetry(addr, started + 10_000, () => retries++);
        clients.push(c);
        await c.send({ type: 'subscribe', topics: [outsiderEvent().topic] });
        await c.next((m) => m.type === 'subscribed', 10_000);
        joinedMs.push(Date.now() - started);
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }),
  );
  report('joined', { joined: joinedMs.length, failures, retries, lastMs: Math.max(0, ...joinedMs), ms: Date.now() - started });
  await new Promise(() => {});
}

const [mode, addr, ...rest] = process.argv.slice(2);
const run = mode === 'partial-frames' ? partialFrames(addr!, Number(rest[0]), Number(rest[1]), Number(rest[2])) : mode === 'topic-flood' ? topicFlood(addr!, Number(rest[0])) : mode === 'members' ? members(addr!, Number(rest[0])) : Promise.reject(new Error(`unknown mode ${mode}`));
run.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
