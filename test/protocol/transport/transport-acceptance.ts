/**
 * The acceptance suite every Transport implementation runs against itself: the
 * contract of protocol/src/ports/transport.ts (frames, closing, errors, peers,
 * backpressure, stop), written once. `make()` returns a fresh harness per test.
 *
 * The suite awaits events and promises, never a fixed time: the memory transport
 * runs on virtual time, libp2p on real time. The one thing no event announces is
 * a sender that stopped: the harness's quiet() says when to look again.
 */
import assert from 'node:assert/strict';
import {
  ChannelClosedError,
  ChannelResetError,
  DialError,
  FrameTooLargeError,
  TransportError,
  TransportStateError,
  type FrameChannel,
  type PeerInfo,
  type Transport,
} from '../../../protocol/transport/index.js';
import { weftProtocolId } from '../../../protocol/src/ports/protocol-id.js';
import { nextFrame, nextInbound, patternFrame, patternIndex, reader, withTimeout } from './helpers.js';

export interface TransportHarness {
  /** A started transport; the same name gives the same identity. */
  started(name: string): Promise<Transport>;
  /** An address where no transport is. */
  unknownAddress: string;
  /**
   * Resolves once the transports have done what they can without new input (the
   * memory network: its clock is idle; libp2p: a while without progress).
   */
  quiet(): Promise<void>;
  /** The most bytes of frames send() may accept while the receiver reads nothing. */
  maxBufferedBytes: number;
  cleanup(): Promise<void>;
}

const BULK = weftProtocolId('acceptance-bulk');
const OTHER = weftProtocolId('acceptance-other');
/** Long enough for a loaded machine, short enough to name the step that hung. */
const EVENT_MS = 15_000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return withTimeout(promise, EVENT_MS, what);
}

function closeOf(channel: FrameChannel): Promise<TransportError | undefined> {
  return new Promise((resolve) => channel.onClose(resolve));
}

function nextEvent<K extends 'peer:connect' | 'peer:disconnect'>(t: Transport, event: K): Promise<PeerInfo> {
  return new Promise((resolve) => {
    const stop = t.on(event, (info) => {
      stop();
      resolve(info);
    });
  });
}

/** Reads until the channel ends; fails if a frame comes instead. */
async function expectEnd(it: AsyncIterator<Uint8Array>, what: string): Promise<void> {
  const r = await within(it.next(), what);
  assert.equal(r.done, true, `${what}: a frame came instead of the end`);
}

/** Frame `i` of `size` bytes whose every byte depends on i and its position (0-byte frames carry nothing). */
function distinctFrame(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let k = 0; k < size; k++) f[k] = (k * 31 + i * 7) & 0xff;
  return f;
}

export function transportAcceptance(name: string, make: () => Promise<TransportHarness>): void {
  describe(`Transport acceptance: ${name}`, function () {
    this.timeout(60_000);
    let h: TransportHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(() => h.cleanup());

    /** Two started transports, `a` dialled `b`, and a BULK channel between them. */
    async function connected(label: string): Promise<{ a: Transport; b: Transport; chA: FrameChannel; chB: FrameChannel }> {
      const a = await h.started(`${label}-a`);
      const b = await h.started(`${label}-b`);
      const inbound = nextInbound(b, BULK);
      await within(a.dial(b.addresses()[0]!), 'dial');
      const chA = await within(a.openChannel(b.publicKey, BULK), 'openChannel');
      return { a, b, chA, chB: await within(inbound, 'the inbound channel') };
    }

    it('delivers frames whole and in order on each channel, both ways, from 0 bytes to exactly maxFrameBytes', async () => {
      const { a, b, chA, chB } = await connected('frames');
      assert.deepEqual(chA.remote, b.publicKey);
      assert.deepEqual(chB.remote, a.publicKey);
      assert.equal(chA.protocol, BULK);
      assert.equal(chB.protocol, BULK);
      assert.equal(a.maxFrameBytes, b.maxFrameBytes, 'the harness gives both sides one limit');
      const sizes = [0, 1, 0, 7, 1000, 65_536, 3, a.maxFrameBytes, 0, 12];
      const sendAll = (ch: FrameChannel, tag: number): Promise<void[]> =>
        Promise.all(sizes.map((size, i) => ch.send(distinctFrame(i + tag, size))));
      const expectAll = async (ch: FrameChannel, tag: number): Promise<void> => {
        const it = reader(ch);
        for (const [i, size] of sizes.entries()) {
          const f = await within(nextFrame(it), `frame ${i}`);
          assert.equal(f.byteLength, size, `frame ${i}: length`);
          assert.deepEqual(f, distinctFrame(i + tag, size), `frame ${i}: content`);
        }
      };
      await within(Promise.all([sendAll(chA, 0), sendAll(chB, 100), expectAll(chB, 0), expectAll(chA, 100)]), 'both ways');
    });

    it('frames sent without awaiting keep their order on each of several channels at once', async () => {
      const a = await h.started('many-a');
      const b = await h.started('many-b');
      const inbound: FrameChannel[] = [];
      const allInbound = new Promise<void>((resolve) => {
        b.handle(OTHER, (ch) => {
          inbound.push(ch);
          if (inbound.length === 3) resolve();
        });
      });
      await within(a.dial(b.addresses()[0]!), 'dial');
      const outbound = await within(Promise.all([0, 1, 2].map(() => a.openChannel(b.publicKey, OTHER))), 'three openChannel');
      await within(allInbound, 'three inbound channels');
      const count = 1000;
      // each channel's frames carry its first frame's tag, so the reader knows which sender it has
      const sending = outbound.map((ch, k) => Promise.all(Array.from({ length: count }, (_, i) => ch.send(patternFrame(k * count + i, 4 + (i % 5))))));
      await Promise.all(
        inbound.map(async (ch) => {
          const it = reader(ch);
          const first = patternIndex(await within(nextFrame(it), 'the first frame'));
          assert.equal(first % count, 0, 'the first frame sent is the first to arrive');
          for (let i = 1; i < count; i++) assert.equal(patternIndex(await within(nextFrame(it), `frame ${i}`)), first + i);
        }),
      );
      await within(Promise.all(sending), 'the sends');
    });

    it('send() above maxFrameBytes rejects with FrameTooLargeError and the channel stays usable', async () => {
      const { a, chA, chB } = await connected('too-large');
      const err: unknown = await chA.send(new Uint8Array(a.maxFrameBytes + 1)).then(
        () => assert.fail('send() of a frame above the limit resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof FrameTooLargeError, `rejected with ${String(err)}`);
      assert.equal(err.size, a.maxFrameBytes + 1);
      assert.equal(err.limit, a.maxFrameBytes);
      assert.equal(err.direction, 'send');
      assert.equal(chA.closed, false);
      await chA.send(new Uint8Array([4, 2]));
      assert.deepEqual(await within(nextFrame(reader(chB)), 'the next frame'), new Uint8Array([4, 2]));
    });

    it('close() is mutual: the other side ends too, both without a reason', async () => {
      const { chA, chB } = await connected('close');
      const closedA = closeOf(chA);
      const closedB = closeOf(chB);
      const rb = reader(chB);
      await within(chA.close(), 'close()');
      assert.equal(chA.closed, true);
      await expectEnd(rb, "the remote's frames()");
      assert.equal(await within(closedB, "the remote's onClose"), undefined);
      assert.equal(await within(closedA, 'our onClose'), undefined);
      assert.equal(chB.closed, true);
      assert.equal(chA.closeReason, undefined);
      assert.equal(chB.closeReason, undefined);
      await within(chA.close(), 'a second close()'); // idempotent
    });

    it('frames sent before close() all arrive before the end', async () => {
      const { chA, chB } = await connected('flush');
      const sends = Array.from({ length: 200 }, (_, i) => chA.send(patternFrame(i, 8 + (i % 300))));
      const closing = chA.close();
      const rb = reader(chB);
      for (let i = 0; i < 200; i++) assert.equal(patternIndex(await within(nextFrame(rb), `frame ${i}`)), i);
      await expectEnd(rb, 'the end after the frames');
      await within(Promise.all([...sends, closing]), 'sends and close()');
    });

    it('send() after close rejects with ChannelClosedError, on both sides', async () => {
      const { chA, chB } = await connected('send-after-close');
      const closedB = closeOf(chB);
      void chA.close();
      await assert.rejects(chA.send(new Uint8Array(1)), ChannelClosedError);
      await within(closedB, "the remote's onClose");
      await assert.rejects(chB.send(new Uint8Array(1)), ChannelClosedError);
    });

    it('frames() may be read once, and leaving its loop early closes the channel for both sides', async () => {
      const { chA, chB } = await connected('leave-loop');
      const closedA = closeOf(chA);
      await chB.send(new Uint8Array([1]));
      await chB.send(new Uint8Array([2]));
      const frames = chA.frames();
      assert.throws(() => chA.frames(), TransportStateError);
      for await (const f of frames) {
        assert.deepEqual(f, new Uint8Array([1]));
        break;
      }
      assert.equal(chA.closed, true);
      await expectEnd(reader(chB), "the remote's frames()");
      assert.equal(await within(closedA, 'our onClose'), undefined);
    });

    it('dial() rejects with DialError: an unknown address, a stopped transport, a wrong /p2p/ identity, not an address', async () => {
      const a = await h.started('dial-a');
      const b = await h.started('dial-b');
      const c = await h.started('dial-c');
      await assert.rejects(a.dial(h.unknownAddress), DialError);
      await assert.rejects(a.dial('not an address'), DialError);
      const cKeyText = c.addresses()[0]!.split('/p2p/')[1]!;
      const wrongIdentity = b.addresses()[0]!.replace(/\/p2p\/[^/]+$/, `/p2p/${cKeyText}`);
      await assert.rejects(within(a.dial(wrongIdentity), 'dial with the wrong identity'), DialError);
      const gone = c.addresses()[0]!;
      await c.stop();
      await assert.rejects(within(a.dial(gone), 'dial of a stopped transport'), DialError);
    });

    it('dial() proves the remote key and both sides see peer:connect', async () => {
      const a = await h.started('connect-a');
      const b = await h.started('connect-b');
      const seenByA = nextEvent(a, 'peer:connect');
      const seenByB = nextEvent(b, 'peer:connect');
      const addr = b.addresses()[0]!;
      assert.match(addr, /\/p2p\/[^/]+$/, 'addresses end in /p2p/<peer id>');
      const info = await within(a.dial(addr), 'dial');
      assert.deepEqual(info.publicKey, b.publicKey);
      assert.equal(info.addr, addr);
      assert.ok(info.addrs.includes(addr));
      assert.deepEqual((await within(seenByA, "the dialer's peer:connect")).publicKey, b.publicKey);
      assert.deepEqual((await within(seenByB, "the listener's peer:connect")).publicKey, a.publicKey);
    });

    it('once it sees peer:connect, the listener opens a channel back to the dialer over that connection', async () => {
      const a = await h.started('back-a');
      const b = await h.started('back-b');
      const inbound = nextInbound(a, BULK);
      // the listener may learn of the connection after the dialer does (Noise's last message goes to it)
      const connected = nextEvent(b, 'peer:connect');
      await within(a.dial(b.addresses()[0]!), 'dial');
      await within(connected, "the listener's peer:connect");
      const chB = await within(b.openChannel(a.publicKey, BULK), 'openChannel from the listener');
      const chA = await within(inbound, 'the inbound channel at the dialer');
      await chB.send(new Uint8Array([9]));
      assert.deepEqual(await within(nextFrame(reader(chA)), 'the frame'), new Uint8Array([9]));
    });

    it('openChannel() rejects with DialError for a protocol the remote does not serve, or a peer never met', async () => {
      const a = await h.started('unserved-a');
      const b = await h.started('unserved-b');
      const stranger = await h.started('unserved-stranger');
      stranger.handle(BULK, () => {});
      await within(a.dial(b.addresses()[0]!), 'dial');
      await assert.rejects(within(a.openChannel(b.publicKey, weftProtocolId('nobody-serves-this')), 'openChannel'), DialError);
      await assert.rejects(within(a.openChannel(stranger.publicKey, BULK), 'openChannel to a stranger'), DialError);
    });

    it("handle()'s unregister stops new channels; a channel already open keeps working", async () => {
      const a = await h.started('unhandle-a');
      const b = await h.started('unhandle-b');
      const served: FrameChannel[] = [];
      const unregister = b.handle(OTHER, (ch) => served.push(ch));
      await within(a.dial(b.addresses()[0]!), 'dial');
      const open = await within(a.openChannel(b.publicKey, OTHER), 'openChannel while served');
      unregister();
      await assert.rejects(within(a.openChannel(b.publicKey, OTHER), 'openChannel after unregister'), DialError);
      assert.equal(served.length, 1);
      await open.send(new Uint8Array([7]));
      assert.deepEqual(await within(nextFrame(reader(served[0]!)), 'a frame on the open channel'), new Uint8Array([7]));
      // the protocol can be served again
      const again = nextInbound(b, OTHER);
      await within(a.openChannel(b.publicKey, OTHER), 'openChannel after serving again');
      await within(again, 'the new inbound channel');
    });

    it('backpressure: a reader that does not read stalls an awaiting sender at a bounded amount; then every frame arrives in order', async () => {
      const { chA, chB } = await connected('backpressure');
      const size = 64 * 1024;
      const total = Math.ceil((2 * h.maxBufferedBytes) / size);
      let accepted = 0;
      const sender = (async () => {
        for (let i = 0; i < total; i++) {
          await chA.send(patternFrame(i, size));
          accepted++;
        }
      })();
      sender.catch(() => {});
      for (;;) {
        const before = accepted;
        await h.quiet();
        assert.notEqual(accepted, total, `all ${total} sends resolved though nothing was read`);
        if (accepted === before && accepted > 0) break;
      }
      assert.ok(accepted * size <= h.maxBufferedBytes, `send() accepted ${accepted * size} bytes for a reader that reads nothing`);
      const it = reader(chB);
      for (let i = 0; i < total; i++) {
        const f = await within(nextFrame(it), `frame ${i}`);
        assert.equal(patternIndex(f), i, 'in order');
        assert.equal(f.byteLength, size);
        assert.equal(f[size - 1], i & 0xff, 'intact');
      }
      await within(sender, 'the sender, once the reader reads');
    });

    it("stop() ends every channel: ours with ChannelClosedError, the remote's too; later use rejects", async () => {
      const { a, b, chA, chB } = await connected('stop');
      const ra = reader(chA);
      const rb = reader(chB);
      const disconnected = nextEvent(b, 'peer:disconnect');
      const remoteClosed = closeOf(chB);
      await within(a.stop(), 'stop()');
      assert.equal(chA.closed, true);
      assert.ok(chA.closeReason instanceof ChannelClosedError, `our reason: ${String(chA.closeReason)}`);
      await expectEnd(ra, 'our frames()');
      await expectEnd(rb, "the remote's frames()");
      const remoteReason = await within(remoteClosed, "the remote's onClose");
      assert.ok(remoteReason instanceof ChannelResetError, `the remote's reason: ${String(remoteReason)}`);
      assert.equal(chB.closeReason, remoteReason);
      assert.equal(chB.closed, true);
      await assert.rejects(chB.send(new Uint8Array(1)), ChannelClosedError);
      assert.deepEqual((await within(disconnected, "the remote's peer:disconnect")).publicKey, a.publicKey);
      await assert.rejects(a.openChannel(b.publicKey, BULK), TransportStateError);
      await assert.rejects(a.dial(b.addresses()[0]!), TransportStateError);
      assert.deepEqual(a.addresses(), []);
      await a.stop(); // idempotent
    });
  });
}
