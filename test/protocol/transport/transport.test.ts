import assert from 'node:assert/strict';
import {
  ChannelClosedError,
  ChannelResetError,
  DialError,
  TransportStateError,
  createTransport,
  weftProtocolId,
  type FrameChannel,
  type PeerInfo,
} from '../../../protocol/transport/index.js';
import {
  TransportPool,
  nextFrame,
  nextInbound,
  patternFrame,
  patternIndex,
  reader,
  seedFor,
  serveEcho,
  withTimeout,
} from './helpers.js';

const ECHO = weftProtocolId('test-echo');
const BULK = weftProtocolId('test-bulk');

/** Both directions at once: 10,000 small frames each way (sent without awaiting, so batched), then 1 MiB each way. */
async function exchange(a: FrameChannel, b: FrameChannel): Promise<void> {
  const ra = reader(a);
  const rb = reader(b);
  const N = 10_000;
  const sendAll = (ch: FrameChannel, tag: number): Promise<void[]> =>
    Promise.all(Array.from({ length: N }, (_, i) => ch.send(patternFrame(i * 2 + tag, 16 + (i % 7)))));
  const expectAll = async (it: AsyncIterator<Uint8Array>, tag: number): Promise<void> => {
    for (let i = 0; i < N; i++) {
      const f = await nextFrame(it);
      assert.equal(patternIndex(f), i * 2 + tag, `frame ${i} out of order`);
      assert.equal(f.byteLength, 16 + (i % 7));
    }
  };
  await Promise.all([sendAll(a, 0), sendAll(b, 1), expectAll(rb, 0), expectAll(ra, 1)]);

  const big = (seed: number): Uint8Array => {
    const f = new Uint8Array(1 << 20);
    for (let i = 0; i < f.length; i++) f[i] = (i * seed) >>> 3;
    return f;
  };
  const [bigA, bigB] = [big(7), big(13)];
  await Promise.all([a.send(bigA), b.send(bigB)]);
  assert.deepEqual(await nextFrame(rb), bigA);
  assert.deepEqual(await nextFrame(ra), bigB);
  // and small frames still flow after the big ones
  await a.send(new Uint8Array([1, 2, 3]));
  assert.deepEqual(await nextFrame(rb), new Uint8Array([1, 2, 3]));
}

describe('transport/libp2p (two transports, one process)', function () {
  this.timeout(30_000);
  const pool = new TransportPool();
  afterEach(() => pool.stopAll());

  it('derives the identity from the seed: addresses carry the peer id of our Ed25519 key', async () => {
    const t = createTransport({ identitySeed: seedFor('identity') });
    const again = createTransport({ identitySeed: seedFor('identity') });
    assert.equal(t.publicKey.byteLength, 32);
    assert.deepEqual(t.publicKey, again.publicKey);
    assert.deepEqual(t.addresses(), [], 'no addresses before start');
    assert.throws(() => createTransport({ identitySeed: new Uint8Array(31) }), /32 bytes/);
    await assert.rejects(t.dial('/ip4/127.0.0.1/tcp/1'), TransportStateError);
  });

  for (const kind of ['tcp', 'ws'] as const) {
    it(`dials over ${kind === 'tcp' ? 'TCP' : 'WebSockets'} and exchanges frames both ways with authenticated keys`, async () => {
      const listen = kind === 'tcp' ? ['/ip4/127.0.0.1/tcp/0'] : ['/ip4/127.0.0.1/tcp/0/ws'];
      const a = await pool.started(`a-${kind}`, { listen });
      const b = await pool.started(`b-${kind}`, { listen });
      const addrs = b.addresses();
      assert.equal(addrs.length, 1);
      assert.match(addrs[0]!, kind === 'tcp' ? /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/ : /\/tcp\/\d+\/ws\/p2p\//);

      const connected = new Promise<PeerInfo>((resolve) => b.on('peer:connect', resolve));
      const inbound = nextInbound(b, BULK);
      const info = await a.dial(addrs[0]!);
      assert.deepEqual(info.publicKey, b.publicKey, 'dial proves the remote key');
      assert.equal(info.addr, addrs[0]);
      assert.deepEqual((await connected).publicKey, a.publicKey);

      const chA = await a.openChannel(b.publicKey, BULK);
      const chB = await withTimeout(inbound, 5000, 'inbound channel');
      assert.deepEqual(chA.remote, b.publicKey);
      assert.deepEqual(chB.remote, a.publicKey, 'remote key authenticated by Noise');
      assert.equal(chB.protocol, BULK);
      await exchange(chA, chB);

      // close is mutual: both readers end, both sides closed without a reason
      const ended = new Promise<unknown>((resolve) => chB.onClose(resolve));
      await chA.close();
      assert.equal(await withTimeout(ended, 5000, 'remote close'), undefined);
      assert.equal(chB.closed, true);
      await assert.rejects(chB.send(new Uint8Array(1)), ChannelClosedError);
    });
  }

  it('opens several channels to one peer, on one connection, independently', async () => {
    const a = await pool.started('multi-a');
    const b = await pool.started('multi-b');
    serveEcho(b, ECHO);
    await a.dial(b.addresses()[0]!);
    const chans = await Promise.all([0, 1, 2, 3].map(() => a.openChannel(b.publicKey, ECHO)));
    const readers = chans.map(reader);
    await Promise.all(
      chans.map(async (ch, k) => {
        for (let i = 0; i < 50; i++) {
          await ch.send(patternFrame(k * 1000 + i, 8));
          assert.equal(patternIndex(await nextFrame(readers[k]!)), k * 1000 + i);
        }
      }),
    );
    await chans[0]!.close();
    // the others keep working
    await chans[1]!.send(patternFrame(7, 8));
    assert.equal(patternIndex(await nextFrame(readers[1]!)), 7);
  });

  it('reports unreachable peers and unserved protocols as DialError', async () => {
    const a = await pool.started('err-a', { dialTimeoutMs: 3000 });
    const b = await pool.started('err-b');
    const port = Number(/tcp\/(\d+)/.exec(b.addresses()[0]!)![1]);
    await b.stop();
    await assert.rejects(a.dial(`/ip4/127.0.0.1/tcp/${port}`), DialError);
    await assert.rejects(a.dial('not a multiaddr'), DialError);
    const c = await pool.started('err-c');
    await a.dial(c.addresses()[0]!);
    await assert.rejects(a.openChannel(c.publicKey, weftProtocolId('nobody-serves-this')), DialError);
    await assert.rejects(a.openChannel(seedFor('unknown peer'), ECHO), DialError);
    assert.throws(() => a.handle('/ipfs/id/1.0.0', () => {}), TransportStateError);
  });

  it('channels outlive the dial timeout that bounded their opening', async () => {
    const a = await pool.started('timeout-a', { dialTimeoutMs: 200 });
    const b = await pool.started('timeout-b');
    serveEcho(b, ECHO);
    await a.dial(b.addresses()[0]!);
    const ch = await a.openChannel(b.publicKey, ECHO);
    await new Promise((r) => setTimeout(r, 500));
    await ch.send(new Uint8Array([42]));
    assert.deepEqual(await withTimeout(nextFrame(reader(ch)), 5000, 'echo after the timeout'), new Uint8Array([42]));
    assert.equal(ch.closed, false);
  });

  it('a dial that names the wrong peer id fails (identity is checked)', async () => {
    const a = await pool.started('wrong-a', { dialTimeoutMs: 3000 });
    const b = await pool.started('wrong-b');
    const c = await pool.started('wrong-c');
    const bAddr = b.addresses()[0]!;
    const cId = c.addresses()[0]!.split('/p2p/')[1]!;
    await assert.rejects(a.dial(bAddr.replace(/\/p2p\/.*$/, `/p2p/${cId}`)), DialError);
  });

  it("a connection cut under a channel: the remote's channel ends as reset, never as if closed (5 times)", async () => {
    for (let i = 0; i < 5; i++) {
      const a = await pool.started(`cut-a${i}`);
      const b = await pool.started(`cut-b${i}`);
      const inbound = nextInbound(b, ECHO);
      await a.dial(b.addresses()[0]!);
      await a.openChannel(b.publicKey, ECHO);
      const chB = await inbound;
      const reason = new Promise<unknown>((resolve) => chB.onClose(resolve));
      // A process killed, a cable pulled: the connection goes without the channel's close.
      const node = (a as unknown as { node: { getConnections(): Array<{ abort(err: Error): void }> } }).node;
      for (const connection of node.getConnections()) connection.abort(new Error('cut'));
      const remoteReason = await withTimeout(reason, 5000, "the remote's onClose");
      assert.ok(remoteReason instanceof ChannelResetError, `the remote's reason: ${String(remoteReason)} (run ${i})`);
    }
  });

  it('stop() ends every channel on both sides and rejects later use', async () => {
    const a = await pool.started('stop-a');
    const b = await pool.started('stop-b');
    const inbound = nextInbound(b, ECHO);
    await a.dial(b.addresses()[0]!);
    const chA = await a.openChannel(b.publicKey, ECHO);
    const chB = await inbound;
    const rb = reader(chB);
    const ra = reader(chA);
    const disconnected = new Promise<PeerInfo>((resolve) => b.on('peer:disconnect', resolve));
    await a.stop();
    assert.equal(chA.closed, true);
    assert.ok(chA.closeReason instanceof ChannelClosedError);
    assert.equal((await ra.next()).done, true);
    // the remote sees its channel end, and the peer leave
    assert.equal((await withTimeout(rb.next(), 5000, 'remote end')).done, true);
    assert.deepEqual((await withTimeout(disconnected, 5000, 'peer:disconnect')).publicKey, a.publicKey);
    await assert.rejects(chB.send(new Uint8Array(1)), ChannelClosedError);
    await assert.rejects(a.openChannel(b.publicKey, ECHO), TransportStateError);
    assert.deepEqual(a.addresses(), []);
    await a.stop(); // idempotent
  });
});
