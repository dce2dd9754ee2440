/** Shared helpers of the transport tests. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTransport, type FrameChannel, type Transport, type TransportInit } from '../../../protocol/transport/index.js';

/** A deterministic 32-byte seed per name, so failures replay with the same peer ids. */
export function seedFor(name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`weft-transport-test:${name}`).digest());
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Tracks transports so every test's `after` can stop them all. */
export class TransportPool {
  private readonly all: Transport[] = [];

  async started(name: string, init: Partial<TransportInit> = {}): Promise<Transport> {
    const t = createTransport({ identitySeed: seedFor(name), ...init });
    this.all.push(t);
    await t.start();
    return t;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map((t) => t.stop()));
  }
}

export function reader(ch: FrameChannel): AsyncIterator<Uint8Array> {
  return ch.frames()[Symbol.asyncIterator]();
}

export async function nextFrame(it: AsyncIterator<Uint8Array>): Promise<Uint8Array> {
  const r = await it.next();
  assert.equal(r.done, false, 'channel ended early');
  return r.value as Uint8Array;
}

/** Serves `protocol` by echoing every frame. */
export function serveEcho(t: Transport, protocol: string): void {
  t.handle(protocol, (ch) => {
    void (async () => {
      for await (const f of ch.frames()) {
        try {
          await ch.send(f);
        } catch {
          return;
        }
      }
    })();
  });
}

/** Resolves with the next channel opened to `protocol` on `t`. */
export function nextInbound(t: Transport, protocol: string): Promise<FrameChannel> {
  return new Promise((resolve) => {
    const stop = t.handle(protocol, (ch) => {
      stop();
      resolve(ch);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Frame `i` of a test stream: its index in the first 4 bytes, then a pattern of the index. */
export function patternFrame(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  f.fill(i & 0xff);
  if (size >= 4) new DataView(f.buffer).setUint32(0, i);
  return f;
}

export function patternIndex(f: Uint8Array): number {
  return new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(0);
}

/**
 * Sends `count` frames of `size` bytes one at a time through an echo channel,
 * checking each comes back; returns the sorted round-trip times in ms, the
 * first `warmup` left out.
 */
export async function echoRoundTrips(
  ch: FrameChannel,
  it: AsyncIterator<Uint8Array>,
  count: number,
  warmup: number,
  size: number,
): Promise<number[]> {
  const rtts: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const t0 = performance.now();
    await ch.send(patternFrame(i, size));
    assert.equal(patternIndex(await nextFrame(it)), i);
    if (i >= warmup) rtts.push(performance.now() - t0);
  }
  return rtts.sort((x, y) => x - y);
}
