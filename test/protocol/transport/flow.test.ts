import assert from 'node:assert/strict';
import { weftProtocolId, type FrameChannel, type Transport } from '../../../protocol/transport/index.js';
import {
  TransportPool,
  nextFrame,
  nextInbound,
  patternFrame,
  patternIndex,
  reader,
  sleep,
} from './helpers.js';

const BULK = weftProtocolId('test-bulk');
const FRAME = 64 * 1024;
const FRAMES = 800; // 52.4 MB

async function connectedPair(
  pool: TransportPool,
  name: string,
  listen?: string[],
): Promise<{ a: Transport; b: Transport; chA: FrameChannel; chB: FrameChannel }> {
  const a = await pool.started(`${name}-a`, listen ? { listen } : {});
  const b = await pool.started(`${name}-b`, listen ? { listen } : {});
  const inbound = nextInbound(b, BULK);
  await a.dial(b.addresses()[0]!);
  const chA = await a.openChannel(b.publicKey, BULK);
  return { a, b, chA, chB: await inbound };
}

describe('transport/libp2p flow control', function () {
  this.timeout(40_000);
  const pool = new TransportPool();
  afterEach(() => pool.stopAll());

  it('50 MB in 64 KiB frames to a slow reader: all arrive in order, the sender never runs far ahead', async () => {
    const { chA, chB } = await connectedPair(pool, 'slow');
    let sent = 0;
    let received = 0;
    let maxLead = 0;
    let maxArrayBuffers = 0;
    const base = process.memoryUsage().arrayBuffers;
    const sender = (async () => {
      for (let i = 0; i < FRAMES; i++) {
        await chA.send(patternFrame(i, FRAME));
        sent += FRAME;
        maxLead = Math.max(maxLead, sent - received);
      }
    })();
    const it = reader(chB);
    const started = Date.now();
    for (let i = 0; i < FRAMES; i++) {
      const f = await nextFrame(it);
      assert.equal(f.byteLength, FRAME);
      assert.equal(patternIndex(f), i, 'in order');
      assert.equal(f[FRAME - 1], i & 0xff, 'intact');
      received += FRAME;
      // about 20 MB/s: well below what the link carries, so the window fills up
      if (i % 8 === 7) await sleep(25);
      if (i % 50 === 0) maxArrayBuffers = Math.max(maxArrayBuffers, process.memoryUsage().arrayBuffers - base);
    }
    await sender;
    const secs = (Date.now() - started) / 1000;
    console.log(
      `      slow reader: ${(received / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s, sender lead max ${(maxLead / 2 ** 20).toFixed(1)} MiB, ` +
        `arrayBuffers growth max ${(maxArrayBuffers / 2 ** 20).toFixed(1)} MiB`,
    );
    assert.equal(received, FRAMES * FRAME);
    // inbox high water (1 MiB) + yamux window (4 MiB) + one batch: far below the 52 MB sent
    assert.ok(maxLead < 12 * 2 ** 20, `sender ran ${maxLead} bytes ahead of the reader`);
  });

  it('a reader that never reads stalls the sender instead of buffering without bound', async () => {
    const { chA } = await connectedPair(pool, 'stall');
    let sent = 0;
    const sender = (async () => {
      for (;;) {
        await chA.send(new Uint8Array(FRAME));
        sent += FRAME;
      }
    })();
    sender.catch(() => {});
    await sleep(1000);
    const after1s = sent;
    await sleep(500);
    assert.equal(sent, after1s, 'sending stopped');
    assert.ok(sent < 12 * 2 ** 20, `sent ${sent} bytes into a reader that never reads`);
    await pool.stopAll();
    await assert.rejects(sender);
  });
});
