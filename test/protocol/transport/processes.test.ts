import assert from 'node:assert/strict';
import { weftProtocolId } from '../../../protocol/transport/index.js';
import { PeerProcess } from './child.js';
import { TransportPool, echoRoundTrips, hex, nextFrame, patternFrame, patternIndex, percentile, reader, seedFor } from './helpers.js';

const ECHO = weftProtocolId('test-echo');

describe('transport/libp2p between processes', function () {
  this.timeout(40_000);
  const pool = new TransportPool();
  const children: PeerProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill();
    await pool.stopAll();
  });

  it('exchanges frames over TCP with a transport in a child process, which then exits on its own', async () => {
    const child = PeerProcess.spawn(['echo', hex(seedFor('child-echo'))]);
    children.push(child);
    const ready = await child.waitFor('ready', 15_000);
    const childKey = Buffer.from(ready.key as string, 'hex');
    const addrs = ready.addresses as string[];
    assert.match(addrs[0]!, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);

    const a = await pool.started('parent');
    const info = await a.dial(addrs[0]!);
    assert.deepEqual(Buffer.from(info.publicKey), childKey, 'the child proves the key its seed gives');
    await child.waitFor('connect', 5000, (e) => e.key === hex(a.publicKey));

    const ch = await a.openChannel(info.publicKey, ECHO);
    const it = reader(ch);
    const rtts = await echoRoundTrips(ch, it, 1000, 100, 64);
    const big = patternFrame(77, 1 << 20);
    await ch.send(big);
    assert.deepEqual(await nextFrame(it), big);
    // many frames in flight at once, still in order
    await Promise.all(Array.from({ length: 2000 }, (_, i) => ch.send(patternFrame(i, 32))));
    for (let i = 0; i < 2000; i++) assert.equal(patternIndex(await nextFrame(it)), i);

    const { code, ms } = await child.stopAndTimeExit();
    assert.equal(code, 0);
    console.log(
      `      cross-process tcp: round trip p50 ${percentile(rtts, 50).toFixed(3)} ms, p99 ${percentile(rtts, 99).toFixed(3)} ms; child exited ${ms} ms after stop`,
    );
    // the parent sees the channel end when the child stops
    assert.equal((await it.next()).done, true);
  });
});
