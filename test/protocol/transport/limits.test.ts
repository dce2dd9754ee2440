import '../../../protocol/transport/polyfills.js';
import assert from 'node:assert/strict';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { Stream } from '@libp2p/interface';
import {
  ChannelClosedError,
  FrameTooLargeError,
  weftProtocolId,
  type ChannelErrorInfo,
  type FrameChannel,
} from '../../../protocol/transport/index.js';
import { encodeFrame } from '../../../protocol/transport/frame-codec.js';
import { TransportPool, nextFrame, nextInbound, reader, serveEcho, withTimeout } from './helpers.js';

const ECHO = weftProtocolId('test-echo');

/** A plain libp2p node that writes whatever bytes a test wants: a misbehaving peer. */
async function rawPeer(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

function streamClosed(stream: Stream): Promise<Error | undefined> {
  return new Promise((resolve) => stream.addEventListener('close', (evt) => resolve(evt.error), { once: true }));
}

async function readEcho(stream: Stream): Promise<Uint8Array> {
  for await (const chunk of stream) return new Uint8Array(chunk.subarray());
  throw new Error('stream ended without data');
}

describe('transport/libp2p frame limits', function () {
  this.timeout(30_000);
  const pool = new TransportPool();
  let raw: Libp2p | undefined;
  afterEach(async () => {
    await raw?.stop();
    raw = undefined;
    await pool.stopAll();
  });

  it('send() above the limit rejects with FrameTooLargeError and the channel stays usable', async () => {
    const a = await pool.started('limit-a', { maxFrameBytes: 1024 });
    const b = await pool.started('limit-b', { maxFrameBytes: 1024 });
    serveEcho(b, ECHO);
    await a.dial(b.addresses()[0]!);
    const ch = await a.openChannel(b.publicKey, ECHO);
    const err = await ch.send(new Uint8Array(1025)).then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FrameTooLargeError);
    assert.equal(err.size, 1025);
    assert.equal(err.limit, 1024);
    assert.equal(err.direction, 'send');
    const it = reader(ch);
    await ch.send(new Uint8Array(1024).fill(5));
    assert.deepEqual(await nextFrame(it), new Uint8Array(1024).fill(5));
  });

  it('a peer announcing a huge frame gets its channel reset; the receiver serves the next channel', async () => {
    const b = await pool.started('victim', { maxFrameBytes: 64 * 1024 });
    const errors: ChannelErrorInfo[] = [];
    b.on('channel:error', (e) => errors.push(e));
    const channels: FrameChannel[] = [];
    const closed: Array<Promise<unknown>> = [];
    b.handle(ECHO, (ch) => {
      channels.push(ch);
      closed.push(new Promise((resolve) => ch.onClose(resolve)));
      void (async () => {
        for await (const f of ch.frames()) await ch.send(f).catch(() => {});
      })();
    });
    raw = await rawPeer();
    await raw.start();
    const target = peerIdFromString(b.addresses()[0]!.split('/p2p/')[1]!);
    await raw.dial(multiaddr(b.addresses()[0]!));

    // 0xff 0xff 0xff 0xff 0x0f: a 4 GiB frame announced by a 5-byte prefix
    const evil = await raw.dialProtocol(target, ECHO);
    const evilClosed = streamClosed(evil);
    evil.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]));
    const reason = await withTimeout(closed[0]!, 5000, 'victim channel close');
    assert.ok(reason instanceof FrameTooLargeError, `closed with ${String(reason)}`);
    assert.equal(reason.direction, 'receive');
    assert.equal(channels[0]!.closed, true);
    assert.ok((await withTimeout(evilClosed, 5000, 'reset seen by the raw peer')) !== undefined, 'raw stream was reset');
    assert.equal(errors.length, 1);
    assert.ok(errors[0]!.error instanceof FrameTooLargeError);
    assert.equal(errors[0]!.protocol, ECHO);

    // same connection, new channel: served normally
    const good = await raw.dialProtocol(target, ECHO);
    good.send(encodeFrame(new Uint8Array([4, 2])));
    assert.deepEqual(await withTimeout(readEcho(good), 5000, 'echo on a new channel'), encodeFrame(new Uint8Array([4, 2])));
    assert.equal(raw.getConnections(target).length, 1, 'the connection survived');

    // a proper transport is served too
    const a = await pool.started('bystander');
    await a.dial(b.addresses()[0]!);
    const ch = await a.openChannel(b.publicKey, ECHO);
    await ch.send(new Uint8Array([9]));
    assert.deepEqual(await nextFrame(reader(ch)), new Uint8Array([9]));
  });

  it('a peer that ends its stream inside a frame gets a FrameFormatError, not a silent truncation', async () => {
    const b = await pool.started('truncated');
    const inbound = nextInbound(b, ECHO);
    raw = await rawPeer();
    await raw.start();
    const target = peerIdFromString(b.addresses()[0]!.split('/p2p/')[1]!);
    await raw.dial(multiaddr(b.addresses()[0]!));
    const s = await raw.dialProtocol(target, ECHO);
    const ch = await inbound;
    const it = reader(ch);
    s.send(encodeFrame(new Uint8Array([1, 1])));
    s.send(encodeFrame(new Uint8Array(100)).subarray(0, 50));
    await s.close();
    assert.deepEqual(await nextFrame(it), new Uint8Array([1, 1]));
    assert.equal((await withTimeout(it.next(), 5000, 'end')).done, true);
    assert.equal(ch.closeReason?.name, 'FrameFormatError');
    await assert.rejects(ch.send(new Uint8Array(1)), ChannelClosedError);
  });
});
