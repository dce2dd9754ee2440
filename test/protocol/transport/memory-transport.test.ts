/**
 * The in-memory transport (protocol/sim/): the acceptance suite on three kinds of
 * links, then what only a simulation has: exact timing on virtual time, the same
 * run twice, exact backpressure, partitions, crashes.
 */
import assert from 'node:assert/strict';
import { signingKeyPairFromSeed } from '../../../protocol/src/crypto/index.js';
import {
  ChannelClosedError,
  ChannelResetError,
  DialError,
  FrameTooLargeError,
  TransportStateError,
  type TransportError,
} from '../../../protocol/src/ports/transport-errors.js';
import type { ChannelErrorInfo, FrameChannel, PeerInfo } from '../../../protocol/src/ports/transport.js';
import { weftProtocolId } from '../../../protocol/src/ports/protocol-id.js';
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_BYTES,
  MemoryNetwork,
  type MemoryNetworkInit,
  type MemoryTransport,
} from '../../../protocol/sim/memory-network.js';
import { DrivenClock } from './driven-clock.js';
import { hex, nextFrame, nextInbound, reader, seedFor } from './helpers.js';
import { transportAcceptance } from './transport-acceptance.js';

const P = weftProtocolId('memory-test');

function keyFor(name: string): Uint8Array {
  return signingKeyPairFromSeed(seedFor(name)).publicKey;
}

/** A memory network on a clock that runs itself, and its transports stopped after the test. */
class MemoryWorld {
  readonly clock = new DrivenClock();
  readonly network: MemoryNetwork;
  private readonly all: MemoryTransport[] = [];

  constructor(init: Omit<MemoryNetworkInit, 'clock'> = {}) {
    this.network = new MemoryNetwork({ clock: this.clock, ...init });
  }

  create(name: string, maxFrameBytes?: number): MemoryTransport {
    const t = this.network.createTransport({ publicKey: keyFor(name), name, ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}) });
    this.all.push(t);
    return t;
  }

  async started(name: string, maxFrameBytes?: number): Promise<MemoryTransport> {
    const t = this.create(name, maxFrameBytes);
    await t.start();
    return t;
  }

  /** `a` dials `b` and opens a channel for P; both ends. */
  async channel(a: MemoryTransport, b: MemoryTransport): Promise<{ chA: FrameChannel; chB: FrameChannel }> {
    const inbound = nextInbound(b, P);
    await a.dial(b.address);
    const chA = await a.openChannel(b.publicKey, P);
    return { chA, chB: await inbound };
  }

  async cleanup(): Promise<void> {
    for (const t of this.all) await t.stop();
    await this.clock.idle();
  }
}

for (const [label, latency] of [
  ['1 ms links', undefined],
  ['0 ms links', () => 0],
  // a delay that changes at every packet: order must not depend on it
  ['jittery links', jitter()],
] as const) {
  transportAcceptance(`MemoryTransport (${label})`, async () => {
    const world = new MemoryWorld(latency !== undefined ? { latency } : {});
    return {
      started: (name) => world.started(name),
      unknownAddress: `/memory/nobody/p2p/${hex(keyFor('nobody'))}`,
      quiet: () => world.clock.idle(),
      maxBufferedBytes: DEFAULT_HIGH_WATER_BYTES,
      cleanup: () => world.cleanup(),
    };
  });
}

function jitter(): () => number {
  let calls = 0;
  return () => (calls++ * 7) % 5;
}

describe('MemoryTransport on virtual time', function () {
  let world: MemoryWorld;
  afterEach(() => world.cleanup());

  it('takes the latency of each link and direction: dial and open a round trip, a frame one way', async () => {
    const delays: Record<string, number> = { 'a>b': 3, 'b>a': 5 };
    world = new MemoryWorld({ latency: (from, to) => delays[`${from.name}>${to.name}`] ?? 1 });
    const a = await world.started('a');
    const b = await world.started('b');
    const t0 = world.clock.now();
    const at = (label: string) => `${label} at +${world.clock.now() - t0}`;
    const seen: string[] = [];
    b.on('peer:connect', () => seen.push(at('b connect')));
    a.on('peer:connect', () => seen.push(at('a connect')));
    b.handle(P, (ch) => {
      seen.push(at('b channel'));
      void (async () => {
        for await (const f of ch.frames()) seen.push(at(`b frame ${f[0]}`));
      })();
    });
    await a.dial(b.address);
    seen.push(at('dialled'));
    const ch = await a.openChannel(b.publicKey, P);
    seen.push(at('opened'));
    await ch.send(new Uint8Array([1]));
    seen.push(at('sent'));
    await world.clock.idle();
    assert.deepEqual(seen, [
      'b connect at +3',
      'a connect at +8',
      'dialled at +8',
      'b channel at +11',
      'opened at +16',
      'sent at +16',
      'b frame 1 at +19',
    ]);
  });

  it('runs the same way twice: the same calls on a fresh network give the same trace', async () => {
    const run = async (): Promise<string[]> => {
      world = new MemoryWorld({ latency: jitter() });
      const trace: string[] = [];
      const nodes = await Promise.all(['n0', 'n1', 'n2'].map((n) => world.started(n)));
      for (const node of nodes) {
        node.handle(P, (ch) => {
          void (async () => {
            for await (const f of ch.frames()) {
              trace.push(`${world.clock.now()} ${node.name} got ${f[0]}`);
              await ch.send(new Uint8Array([f[0]! + 100])).catch(() => {});
            }
          })();
        });
      }
      await Promise.all(
        nodes.map(async (from, i) => {
          const to = nodes[(i + 1) % nodes.length]!;
          await from.dial(to.address);
          const ch = await from.openChannel(to.publicKey, P);
          void (async () => {
            for await (const f of ch.frames()) trace.push(`${world.clock.now()} ${from.name} echo ${f[0]}`);
          })();
          for (let k = 0; k < 5; k++) await ch.send(new Uint8Array([i * 10 + k]));
        }),
      );
      await world.clock.idle();
      await world.cleanup();
      return trace;
    };
    const first = await run();
    assert.equal(first.length, 30);
    assert.deepEqual(await run(), first);
  });

  it('backpressure is exact: sends resolve while the frames fit under the high-water mark, one more per frame read', async () => {
    // a frame costs its length + 1: ten 99-byte frames fill 1000 bytes
    world = new MemoryWorld({ highWaterBytes: 1000 });
    const { chA, chB } = await world.channel(await world.started('a'), await world.started('b'));
    let accepted = 0;
    const sends = Array.from({ length: 15 }, () => chA.send(new Uint8Array(99)).then(() => accepted++));
    await world.clock.idle();
    assert.equal(accepted, 10);
    const it = reader(chB);
    await nextFrame(it);
    await world.clock.idle();
    assert.equal(accepted, 11);
    for (let i = 0; i < 14; i++) await nextFrame(it);
    await Promise.all(sends);
    // a frame above the mark passes alone once the receiver holds nothing
    const big = chA.send(new Uint8Array(5000));
    const after = chA.send(new Uint8Array(1));
    let bigDone = false;
    void big.then(() => (bigDone = true));
    await world.clock.idle();
    assert.equal(bigDone, true);
    assert.equal((await nextFrame(it)).byteLength, 5000);
    await after;
  });

  it('delivers a copy: the sender changing its buffer after send() changes nothing that arrives', async () => {
    world = new MemoryWorld();
    const { chA, chB } = await world.channel(await world.started('a'), await world.started('b'));
    const frame = new Uint8Array([1, 2, 3]);
    const sent = chA.send(frame);
    frame.fill(9);
    await sent;
    assert.deepEqual(await nextFrame(reader(chB)), new Uint8Array([1, 2, 3]));
  });

  it('a frame above the receiver\'s own limit closes its channel with channel:error; the sender sees a reset', async () => {
    world = new MemoryWorld();
    const a = await world.started('a', 4096);
    const b = await world.started('b', 1024);
    const errors: ChannelErrorInfo[] = [];
    b.on('channel:error', (e) => errors.push(e));
    const { chA, chB } = await world.channel(a, b);
    const closedA = new Promise<TransportError | undefined>((resolve) => chA.onClose(resolve));
    await chA.send(new Uint8Array(2000));
    const rb = reader(chB);
    assert.equal((await rb.next()).done, true);
    assert.ok(chB.closeReason instanceof FrameTooLargeError);
    assert.equal(chB.closeReason.direction, 'receive');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.protocol, P);
    assert.deepEqual(errors[0]!.remote, a.publicKey);
    assert.ok((await closedA) instanceof ChannelResetError);
  });

  it('stop(): the remote\'s channel ends after the frames already sent, one delay later', async () => {
    world = new MemoryWorld({ latency: () => 4 });
    const a = await world.started('a');
    const b = await world.started('b');
    const { chA, chB } = await world.channel(a, b);
    void chA.send(new Uint8Array([1]));
    void chA.send(new Uint8Array([2]));
    const stoppedAt = world.clock.now();
    let remoteEndedAt = 0;
    chB.onClose(() => (remoteEndedAt = world.clock.now()));
    await a.stop();
    const rb = reader(chB);
    assert.deepEqual(await nextFrame(rb), new Uint8Array([1]));
    assert.deepEqual(await nextFrame(rb), new Uint8Array([2]));
    assert.equal((await rb.next()).done, true);
    assert.equal(remoteEndedAt - stoppedAt, 4);
    assert.ok(chB.closeReason instanceof ChannelResetError);
  });

  it('addresses: /memory/<name>/p2p/<key hex>; a name is free again once its holder stopped', async () => {
    world = new MemoryWorld();
    const a = world.create('alpha');
    assert.deepEqual(a.addresses(), [], 'none before start()');
    await a.start();
    assert.deepEqual(a.addresses(), [`/memory/alpha/p2p/${hex(keyFor('alpha'))}`]);
    await assert.rejects(a.start(), TransportStateError);
    assert.throws(() => world.create('alpha'), /held by a transport/);
    assert.throws(() => world.create('no/slash'), RangeError);
    assert.throws(() => world.network.createTransport({ publicKey: new Uint8Array(31) }), /32-byte/);
    await a.stop();
    const again = await world.started('alpha');
    assert.equal(again.address, a.address);
    const b = await world.started('beta');
    assert.deepEqual((await b.dial('/memory/alpha')).publicKey, again.publicKey, 'without /p2p/ any key is accepted');
    await assert.rejects(b.dial('/memory/nobody'), DialError);
    await assert.rejects(b.dial(b.address), DialError);
  });
});

describe('MemoryNetwork faults', function () {
  let world: MemoryWorld;
  afterEach(() => world.cleanup());

  it('partition(): channels between the two reset at once, both see peer:disconnect; dials time out until heal()', async () => {
    world = new MemoryWorld();
    const a = await world.started('a');
    const b = await world.started('b');
    const c = await world.started('c');
    const { chA, chB } = await world.channel(a, b);
    const { chA: toC } = await world.channel(a, c);
    const gone: PeerInfo[] = [];
    a.on('peer:disconnect', (p) => gone.push(p));
    b.on('peer:disconnect', (p) => gone.push(p));
    const rb = reader(chB);
    const before = world.clock.now();
    world.network.partition(a, b);
    assert.ok(chA.closeReason instanceof ChannelResetError);
    assert.ok(chB.closeReason instanceof ChannelResetError);
    assert.equal((await rb.next()).done, true);
    await assert.rejects(chA.send(new Uint8Array(1)), ChannelClosedError);
    assert.deepEqual(gone.map((p) => hex(p.publicKey)).sort(), [hex(a.publicKey), hex(b.publicKey)].sort());
    assert.equal(world.clock.now(), before, 'at once, no time passed');
    // a and c are not partitioned
    await toC.send(new Uint8Array([1]));
    assert.equal(toC.closed, false);

    await assert.rejects(a.dial(b.address), DialError);
    assert.equal(world.clock.now() - before, DEFAULT_DIAL_TIMEOUT_MS, 'a dial into a partition times out');
    await assert.rejects(a.openChannel(b.publicKey, P), DialError);

    world.network.heal(a, b);
    const { chA: healed, chB: healedB } = await world.channel(a, b);
    await healed.send(new Uint8Array([5]));
    assert.deepEqual(await nextFrame(reader(healedB)), new Uint8Array([5]));
  });

  it('crash(): the peers\' channels reset and they see peer:disconnect; nothing of the dead node runs; it restarts under its name', async () => {
    world = new MemoryWorld();
    const a = await world.started('a');
    const b = await world.started('b');
    const { chA, chB } = await world.channel(a, b);
    const deadSide: string[] = [];
    a.on('peer:disconnect', () => deadSide.push('a peer:disconnect'));
    chA.onClose(() => deadSide.push('a onClose'));
    const bGone = new Promise<PeerInfo>((resolve) => b.on('peer:disconnect', resolve));
    void chA.send(new Uint8Array([1])); // in flight when a dies: lost
    const ra = reader(chA);
    let aReadEnded = false;
    void ra.next().then(() => (aReadEnded = true));
    world.network.crash(a);
    assert.ok(chB.closeReason instanceof ChannelResetError);
    assert.equal((await reader(chB).next()).done, true, 'the frame in flight was lost');
    assert.deepEqual((await bGone).publicKey, a.publicKey);
    await assert.rejects(chB.send(new Uint8Array(1)), ChannelClosedError);
    await assert.rejects(b.dial(a.address), DialError);
    await world.clock.idle();
    assert.deepEqual(deadSide, [], 'no listener of the dead node ran');
    assert.equal(aReadEnded, false, "the dead node's reader was not woken");

    const restarted = await world.started('a');
    assert.equal(restarted.address, a.address);
    const { chA: fresh, chB: freshB } = await world.channel(b, restarted);
    await fresh.send(new Uint8Array([3]));
    assert.deepEqual(await nextFrame(reader(freshB)), new Uint8Array([3]));
  });

  it('a dial whose answer comes back into a new partition fails; nothing is left half connected', async () => {
    world = new MemoryWorld({ latency: () => 10 });
    const a = await world.started('a');
    const b = await world.started('b');
    const bConnects: PeerInfo[] = [];
    const bDisconnects: PeerInfo[] = [];
    b.on('peer:connect', (p) => bConnects.push(p));
    b.on('peer:disconnect', (p) => bDisconnects.push(p));
    const dialing = a.dial(b.address);
    world.clock.virtual.advance(10); // b accepted, its answer is on the way
    assert.equal(bConnects.length, 1);
    world.network.partition(a, b);
    assert.equal(bDisconnects.length, 1);
    await assert.rejects(dialing, DialError);
  });
});
