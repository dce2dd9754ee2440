/**
 * A plain libp2p node (TCP, Noise, yamux, identify, the circuit relay transport) run in a
 * home namespace by nat-relay.test.ts. Frames are Weft's (StreamFrameChannel, the
 * transport's own framing). Reports JSON lines on stdout:
 *   node relay-client.js listen RELAY_ADDR
 *     connects to the relay ({"event":"connected","remoteAddr"}) and reserves a slot:
 *     {"event":"reserved","peerId","addrs","ms"} or {"event":"failed","error"}. Then serves ECHO_PROTOCOL on relayed connections: a
 *     frame "hello:X" is answered "reply:X" and reported as {"event":"frame","text",
 *     "remoteAddr","limited"}; when a channel ends, {"event":"closed","received","reason"}.
 *   node relay-client.js dial ADDR TEXT
 *     sends the frame "hello:TEXT" to ADDR and reports {"event":"reply","text","remoteAddr",
 *     "limited","ms"} (or {"event":"failed","error"}), then exits.
 *   node relay-client.js bulk ADDR BYTES
 *     sends BYTES in 16 KiB frames, then {"event":"sent","bytes"} or, when the channel is
 *     cut first, {"event":"cut","bytes","error"}; then exits.
 * The process exits on its own after two minutes whatever happens.
 * WEFT_RELAY_CLIENT_SEED=HEX (32 bytes) gives the node that identity (a broker lets only
 * peers it knows reserve a slot: the test lists this key with --relay-allow).
 */
import '../../../protocol/transport/polyfills.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { multiaddr } from '@multiformats/multiaddr';
import type { Connection, Stream } from '@libp2p/interface';
import { StreamFrameChannel } from '../../../protocol/transport/frame-channel.js';
import { identityFromSeed, weftKeyFromPeerId } from '../../../protocol/transport/peer-key.js';
import { fromHex } from '../../../protocol/src/crypto/index.js';

export const ECHO_PROTOCOL = '/weft/nat-echo/1';
const MAX_FRAME_BYTES = 1024 * 1024;
const BULK_FRAME_BYTES = 16 * 1024;
const LIFETIME_MS = 120_000;
const DIAL_TIMEOUT_MS = 20_000;

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

async function createNode(listen: string[]): Promise<Libp2p> {
  const seed = process.env.WEFT_RELAY_CLIENT_SEED;
  return createLibp2p({
    start: false,
    ...(seed ? { privateKey: identityFromSeed(fromHex(seed)).privateKey } : {}),
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: DIAL_TIMEOUT_MS })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
}

function channelOf(stream: Stream, connection: Connection): StreamFrameChannel {
  const remote = weftKeyFromPeerId(connection.remotePeer);
  if (remote === undefined) throw new Error(`${connection.remotePeer.toString()} has no Ed25519 key`);
  return new StreamFrameChannel(stream, {
    remote,
    protocol: ECHO_PROTOCOL,
    maxFrameBytes: MAX_FRAME_BYTES,
    onProtocolError: (error) => report('protocol-error', { error: errorText(error) }),
  });
}

const text = (frame: Uint8Array): string => new TextDecoder().decode(frame);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Resolves once the node advertises a relayed (/p2p-circuit) address. */
function relayedAddrs(node: Libp2p): Promise<string[]> {
  const current = (): string[] => node.getMultiaddrs().map((ma) => ma.toString()).filter((a) => a.includes('/p2p-circuit'));
  return new Promise((resolve) => {
    const check = (): void => {
      const addrs = current();
      if (addrs.length === 0) return;
      node.removeEventListener('self:peer:update', check);
      resolve(addrs);
    };
    node.addEventListener('self:peer:update', check);
    check();
  });
}

async function listen(relayAddr: string): Promise<void> {
  const t0 = Date.now();
  let node: Libp2p;
  try {
    node = await createNode([`${relayAddr}/p2p-circuit`]);
    node.addEventListener('connection:open', (evt) => report('connected', { remoteAddr: evt.detail.remoteAddr.toString() }));
    await node.handle(
      ECHO_PROTOCOL,
      (stream, connection) => {
        const channel = channelOf(stream, connection);
        let received = 0;
        void (async () => {
          for await (const frame of channel.frames()) {
            received += frame.byteLength;
            const t = frame.byteLength < 1024 ? text(frame) : '';
            if (!t.startsWith('hello:')) continue;
            report('frame', { text: t, remoteAddr: connection.remoteAddr.toString(), limited: connection.limits !== undefined });
            await channel.send(bytes(`reply:${t.slice('hello:'.length)}`));
          }
          report('closed', { received, reason: channel.closeReason === undefined ? null : errorText(channel.closeReason) });
        })().catch((err: unknown) => report('closed', { received, reason: errorText(err) }));
      },
      { runOnLimitedConnection: true },
    );
    await node.start();
  } catch (err) {
    report('failed', { error: errorText(err) });
    process.exit(0);
  }
  const addrs = await relayedAddrs(node);
  report('reserved', { peerId: node.peerId.toString(), addrs, ms: Date.now() - t0 });
}

async function open(addr: string): Promise<{ node: Libp2p; channel: StreamFrameChannel; connection: Connection }> {
  const node = await createNode([]);
  await node.start();
  const signal = AbortSignal.timeout(DIAL_TIMEOUT_MS);
  const connection = await node.dial(multiaddr(addr), { signal });
  const stream = await connection.newStream(ECHO_PROTOCOL, { runOnLimitedConnection: true, signal });
  return { node, channel: channelOf(stream, connection), connection };
}

async function dial(addr: string, message: string): Promise<void> {
  const t0 = Date.now();
  const { node, channel, connection } = await open(addr);
  const opened = Date.now() - t0;
  await channel.send(bytes(`hello:${message}`));
  for await (const frame of channel.frames()) {
    report('reply', { text: text(frame), remoteAddr: connection.remoteAddr.toString(), limited: connection.limits !== undefined, openMs: opened, ms: Date.now() - t0 });
    break;
  }
  await node.stop();
}

async function bulk(addr: string, total: number): Promise<void> {
  const { node, channel } = await open(addr);
  const frame = new Uint8Array(BULK_FRAME_BYTES).fill(0x5a);
  let sent = 0;
  try {
    while (sent < total) {
      await channel.send(frame);
      sent += frame.byteLength;
    }
    report('sent', { bytes: sent });
  } catch (err) {
    report('cut', { bytes: sent, error: errorText(err) });
  }
  await node.stop();
}

setTimeout(() => {
  report('lifetime-over');
  process.exit(1);
}, LIFETIME_MS).unref();

const [mode, addr, arg] = process.argv.slice(2);
const main = (): Promise<void> => {
  if (addr === undefined) throw new Error('usage: relay-client.js listen|dial|bulk ADDR [TEXT|BYTES]');
  if (mode === 'listen') return listen(addr);
  if (mode === 'dial') return dial(addr, arg ?? 'hi');
  if (mode === 'bulk') return bulk(addr, Number(arg ?? 1 << 20));
  throw new Error(`unknown mode ${mode}`);
};
main().then(
  () => {
    if (mode !== 'listen') process.exit(0);
  },
  (err: unknown) => {
    report('failed', { error: errorText(err) });
    process.exit(0);
  },
);
