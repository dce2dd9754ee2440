/**
 * Transport figures on loopback (TCP and WebSockets, Noise and yamux, our framed
 * channels): echo round trip of a 100-byte frame, bulk throughput of 64 KiB frames, and
 * 10,000 small frames in one burst. No baseline: these are the floor that the network
 * figures (bench/net.ts) stand on.
 */
import { randomBytes } from 'node:crypto';
import { createTransport, weftProtocolId, type FrameChannel, type Transport } from '../protocol/transport/index.js';
import { median, record } from './report.js';

const ECHO = weftProtocolId('bench-echo');
const BULK = weftProtocolId('bench-bulk');
const BULK_FRAME = 64 * 1024;
const BULK_FRAMES = 800; // 52.4 MB
const SMALL_FRAMES = 10_000;
const RUNS = 3;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function started(listen: string[]): Promise<Transport> {
  const t = createTransport({ identitySeed: new Uint8Array(randomBytes(32)), listen });
  await t.start();
  return t;
}

/** Resolves with the next channel opened to `protocol` on `t`, and serves the echo. */
function serve(t: Transport): Promise<FrameChannel> {
  t.handle(ECHO, (ch) => {
    void (async () => {
      for await (const f of ch.frames()) await ch.send(f).catch(() => undefined);
    })();
  });
  return new Promise((resolve) => {
    const stop = t.handle(BULK, (ch) => {
      stop();
      resolve(ch);
    });
  });
}

async function receive(it: AsyncIterator<Uint8Array>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) if ((await it.next()).done) throw new Error('channel ended early');
}

async function measure(kind: 'tcp' | 'ws'): Promise<{ rtts: number[]; mbPerS: number; smallMs: number }> {
  const listen = kind === 'tcp' ? ['/ip4/127.0.0.1/tcp/0'] : ['/ip4/127.0.0.1/tcp/0/ws'];
  const a = await started(listen);
  const b = await started(listen);
  try {
    const inbound = serve(b);
    await a.dial(b.addresses()[0]!);
    const echo = await a.openChannel(b.publicKey, ECHO);
    const echoed = echo.frames()[Symbol.asyncIterator]();
    const rtts: number[] = [];
    const frame = new Uint8Array(100);
    for (let i = 0; i < 2200; i++) {
      const t0 = performance.now();
      await echo.send(frame);
      await receive(echoed, 1);
      if (i >= 200) rtts.push(performance.now() - t0);
    }
    rtts.sort((x, y) => x - y);

    const bulk = await a.openChannel(b.publicKey, BULK);
    const arriving = (await inbound).frames()[Symbol.asyncIterator]();
    const big = new Uint8Array(BULK_FRAME).fill(7);
    const t0 = performance.now();
    const sending = (async () => {
      for (let i = 0; i < BULK_FRAMES; i++) await bulk.send(big);
    })();
    await receive(arriving, BULK_FRAMES);
    await sending;
    const mbPerS = (BULK_FRAMES * BULK_FRAME) / 1e6 / ((performance.now() - t0) / 1000);

    const t1 = performance.now();
    await Promise.all(Array.from({ length: SMALL_FRAMES }, () => bulk.send(frame)));
    await receive(arriving, SMALL_FRAMES);
    return { rtts, mbPerS, smallMs: performance.now() - t1 };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

export async function run(): Promise<void> {
  for (const kind of ['tcp', 'ws'] as const) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measure(kind));
    const input = `loopback ${kind === 'tcp' ? 'TCP' : 'WebSockets'}, Noise + yamux`;
    record({ figure: `flow.${kind}.round_trip_p50_ms`, weft: median(runs.map((r) => percentile(r.rtts, 50))), unit: 'ms', runs: RUNS, input: `${input}, 100-byte echo, 2,000 round trips` });
    record({ figure: `flow.${kind}.round_trip_p99_ms`, weft: median(runs.map((r) => percentile(r.rtts, 99))), unit: 'ms', runs: RUNS, input });
    record({ figure: `flow.${kind}.bulk_mb_s`, weft: median(runs.map((r) => r.mbPerS)), unit: 'MB/s', runs: RUNS, input: `${input}, 52 MB in 64 KiB frames` });
    record({ figure: `flow.${kind}.small_frames_ms`, weft: median(runs.map((r) => r.smallMs)), unit: 'ms', runs: RUNS, input: `${input}, 10,000 x 100-byte frames in one burst` });
  }
}
