/**
 * The Transport over libp2p: TCP and WebSockets, Noise, yamux, identify, the circuit relay
 * transport (peers behind NATs reserve slots on brokers: listenViaRelay, and reach each
 * other through them), and optionally mDNS and a circuit relay server (brokers,
 * relay-server.ts). The only module of Weft that creates libp2p objects; callers see
 * protocol/src/ports/transport.ts only.
 *
 * Relayed connections are "limited" in libp2p (the relay caps their bytes and duration):
 * Weft's protocols run on them all the same (runOnLimitedConnection), since for two
 * teammates behind NATs that defeat hole punching the relay is the only path. When the
 * relay cuts one, the runtime dials again.
 */
import './polyfills.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { mdns } from '@libp2p/mdns';
import { circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { ChannelClosedError, DialError, ReceiveLimitError, TransportError, TransportStateError } from '../src/ports/transport-errors.js';
import { DEFAULT_MAX_FRAME_BYTES, checkFrameLimit } from '../src/ports/frame-limits.js';
import { StreamFrameChannel } from './frame-channel.js';
import { ReceiveBudget } from './receive-budget.js';
import { relayService, type RelayServerOptions } from './relay-server.js';
import { RelayListenService, type RelayListenComponents } from './relay-listen.js';
import { identityFromSeed, peerIdFromWeftKey, weftKeyFromPeerId, type NodeIdentity } from './peer-key.js';
import { checkProtocolId } from '../src/ports/protocol-id.js';
import type { FrameChannel, PeerInfo, Transport, TransportEvents } from '../src/ports/transport.js';

/** Options of createTransport(). */
export interface TransportInit {
  /**
   * 32-byte Ed25519 seed: the node's Weft identity key. The libp2p identity is
   * derived from it, so the peer id a remote authenticates with Noise proves the
   * remote's Weft public key.
   */
  identitySeed: Uint8Array;
  /**
   * Multiaddrs to listen on. Default: TCP and WebSockets on 127.0.0.1, random
   * ports. For LAN peers, listen on 0.0.0.0 (e.g. `/ip4/0.0.0.0/tcp/0`).
   */
  listen?: string[];
  /** LAN discovery by mDNS. `true` uses the defaults below. Default off. */
  mdns?: boolean | MdnsOptions;
  /** Largest frame accepted or sent on a channel. Default 4 MiB. */
  maxFrameBytes?: number;
  /** Timeout of dial() and openChannel(). Default 10 s. */
  dialTimeoutMs?: number;
  /**
   * Inbound connections accepted per second from one IP address (libp2p's
   * inboundConnectionThreshold, whose default of 5 refused an office behind one NAT).
   * Default 100: 50 teammates behind one address join in one burst.
   */
  inboundConnectionsPerAddress?: number;
  /**
   * Inbound connections still in their handshake at once (all addresses); more are refused
   * at once and dialled again by their peers. Default 8: each handshake costs the broker a
   * few milliseconds of CPU, and 50 at once held an honest round trip above 100 ms.
   */
  maxPendingInbound?: number;
  /** Open connections at most (both directions). Default 1000. */
  maxConnections?: number;
  /** Channels a remote may open to us per connection and protocol. Default 32. */
  maxInboundChannels?: number;
  /** Bytes of unfinished frames one peer may make us hold, over all its channels. Default 2 x maxFrameBytes. */
  maxUnfinishedBytesPerPeer?: number;
  /** Bytes of unfinished frames all peers together may make us hold. Default 128 MiB (at least 4 x maxFrameBytes). */
  maxUnfinishedBytes?: number;
  /** Time an unfinished frame has to gain 16 KiB or end (frame-channel.ts). Default 10 s. */
  frameProgressMs?: number;
  /**
   * Serve circuit relay v2 with these limits (relay-server.ts): brokers do, so that peers
   * behind NATs can be reached through them. Default: no relay.
   */
  relayServer?: RelayServerOptions;
  /**
   * WebRTC (UDP) between peers, signalled through a relay (issue 19): with a relay slot, we
   * also listen at `<relayed address>/webrtc`, and a teammate dialling that gets a direct
   * connection through both NATs when they allow it (ICE with STUN: brokers answer STUN on
   * their TCP address, protocol/transport/stun-server.ts). Needs the native node-datachannel
   * module; when it does not load, the transport works without WebRTC and says why (log).
   */
  webrtc?: { stunServers: readonly string[] };
  /** Notices about the transport itself (e.g. WebRTC unavailable and why). */
  log?: (line: string) => void;
}

export interface MdnsOptions {
  /** DNS-SD service name; peers only see peers with the same tag. Default `_weft._udp.local`. */
  serviceTag?: string;
  /** How often to query the LAN. Default 10 s. */
  intervalMs?: number;
  /** UDP port. Default 5353 (standard mDNS); tests may pick another to stay private. */
  port?: number;
}


export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'];
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
export const DEFAULT_MDNS_SERVICE_TAG = '_weft._udp.local';
/**
 * Per-stream yamux receive window cap (libp2p default 16 MiB). It bounds what a
 * paused (slow) reader holds per channel; 4 MiB still fills loopback and LAN links.
 */
const MAX_STREAM_WINDOW = 4 * 1024 * 1024;
/** Channels we open per connection and protocol. */
const MAX_STREAMS_PER_PROTOCOL = 256;
const RELAY_HOP = '/libp2p/circuit/relay/0.2.0/hop';
export const DEFAULT_MAX_INBOUND_CHANNELS = 32;
export const DEFAULT_INBOUND_CONNECTIONS_PER_ADDRESS = 100;
export const DEFAULT_MAX_PENDING_INBOUND = 8;
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_MAX_UNFINISHED_BYTES = 128 * 1024 * 1024;

type Listeners = { [K in keyof TransportEvents]: Set<(info: TransportEvents[K]) => void> };
type State = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

export function createTransport(init: TransportInit): Transport {
  return new Libp2pTransport(init);
}

class Libp2pTransport implements Transport {
  readonly publicKey: Uint8Array;
  readonly maxFrameBytes: number;
  private readonly identity: NodeIdentity;
  private readonly dialTimeoutMs: number;
  private node: Libp2p | undefined;
  private state: State = 'new';
  private readonly handlers = new Map<string, (channel: FrameChannel) => void>();
  private readonly channels = new Set<StreamFrameChannel>();
  private readonly budget: ReceiveBudget;
  private readonly listeners: Listeners = {
    'peer:connect': new Set(),
    'peer:disconnect': new Set(),
    'peer:discovery': new Set(),
    'channel:error': new Set(),
    addresses: new Set(),
  };
  /** Our addresses as last reported by an 'addresses' event. */
  private lastAddresses = '';

  constructor(private readonly init: TransportInit) {
    this.identity = identityFromSeed(init.identitySeed);
    this.publicKey = this.identity.publicKey;
    this.maxFrameBytes = checkFrameLimit(init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.dialTimeoutMs = init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    this.budget = new ReceiveBudget({
      perPeerBytes: init.maxUnfinishedBytesPerPeer ?? 2 * this.maxFrameBytes,
      totalBytes: init.maxUnfinishedBytes ?? Math.max(DEFAULT_MAX_UNFINISHED_BYTES, 4 * this.maxFrameBytes),
    });
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new TransportStateError(`start() on a transport that is ${this.state}`);
    this.state = 'starting';
    const md = this.init.mdns;
    const mdnsOpts = md === undefined || md === false ? undefined : md === true ? {} : md;
    const peerDiscovery =
      mdnsOpts === undefined
        ? []
        : [
            mdns({
              serviceTag: mdnsOpts.serviceTag ?? DEFAULT_MDNS_SERVICE_TAG,
              interval: mdnsOpts.intervalMs ?? 10_000,
              ...(mdnsOpts.port !== undefined ? { port: mdnsOpts.port } : {}),
            }),
          ];
    const webrtc = await this.webrtcTransport();
    const node = await createLibp2p({
      start: false,
      privateKey: this.identity.privateKey,
      addresses: { listen: [...(this.init.listen ?? DEFAULT_LISTEN), ...(webrtc ? ['/webrtc'] : [])] },
      transports: [tcp(), webSockets(), circuitRelayTransport({ reservationCompletionTimeout: this.dialTimeoutMs }), ...(webrtc ? [webrtc] : [])],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: MAX_STREAM_WINDOW } })],
      peerDiscovery,
      connectionManager: {
        inboundConnectionThreshold: this.init.inboundConnectionsPerAddress ?? DEFAULT_INBOUND_CONNECTIONS_PER_ADDRESS,
        maxIncomingPendingConnections: this.init.maxPendingInbound ?? DEFAULT_MAX_PENDING_INBOUND,
        maxConnections: this.init.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      },
      services: {
        identify: identify(),
        relayListen: (components: RelayListenComponents) => new RelayListenService(components),
        ...(this.init.relayServer !== undefined ? { relay: relayService(this.init.relayServer) } : {}),
      },
      connectionGater: {
        // only peers whose identity is an Ed25519 key can be Weft peers
        denyInboundEncryptedConnection: (peer: PeerId) => weftKeyFromPeerId(peer) === undefined,
        denyOutboundEncryptedConnection: (peer: PeerId) => weftKeyFromPeerId(peer) === undefined,
        denyInboundRelayReservation: async (peer: PeerId) => {
          const admit = this.init.relayServer?.admit;
          const key = weftKeyFromPeerId(peer);
          if (key === undefined) return true;
          if (admit === undefined) return false;
          return !(await admit(key).catch(() => false));
        },
      },
    });
    this.node = node;
    node.addEventListener('self:peer:update', () => this.emitAddresses());
    // Once a peer is reached directly (WebRTC through the NATs, or any direct address), its
    // relayed connections close: the broker then carries nothing between the two (a
    // channel still on one ends, and the runtime opens it again on the direct connection).
    node.addEventListener('connection:open', (evt) => {
      const direct = evt.detail;
      if (direct.limits !== undefined) return;
      for (const c of node.getConnections(direct.remotePeer)) if (c !== direct && c.limits !== undefined) void c.close().catch(() => undefined);
    });
    // A relay slot is freed with its holder's last connection (libp2p keeps it until it
    // expires, up to reservationMs, so peers that come and go would fill the relay).
    node.addEventListener('peer:disconnect', (evt) => {
      const reservation = this.relayServer()?.reservations.get(evt.detail);
      if (reservation === undefined) return;
      reservation.signal.clear();
      this.relayServer()?.reservations.delete(evt.detail);
    });
    node.addEventListener('peer:connect', (evt) => this.emitPeer('peer:connect', evt.detail, this.connectionAddrs(evt.detail)));
    node.addEventListener('peer:disconnect', (evt) => this.emitPeer('peer:disconnect', evt.detail, []));
    node.addEventListener('peer:discovery', (evt) => {
      // plain TCP before WebSockets: cheaper on the same machine or LAN
      const addrs = [...evt.detail.multiaddrs].sort((a, b) => Number(isWebSocket(a)) - Number(isWebSocket(b)));
      this.emitPeer('peer:discovery', evt.detail.id, addrs);
    });
    try {
      for (const protocol of this.handlers.keys()) await this.register(protocol);
      await node.start();
    } catch (err) {
      this.state = 'stopped';
      await Promise.resolve(node.stop()).catch(() => {});
      throw new TransportError(`transport failed to start: ${errorText(err)}`, { cause: err });
    }
    this.state = 'started';
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    const stopped = new ChannelClosedError('the transport stopped');
    for (const ch of this.channels) ch.abort(stopped);
    this.channels.clear();
    // Cut the connections rather than let libp2p close them gracefully: a graceful close can
    // overtake the channels' resets, and the remote would see its channels end cleanly, as if
    // we had closed them (the transport contract: a stop resets the remote's channels).
    for (const connection of this.node?.getConnections() ?? []) connection.abort(stopped);
    await this.node?.stop();
    this.node = undefined;
    this.state = 'stopped';
  }

  addresses(): string[] {
    return this.node?.getMultiaddrs().map((ma) => ma.toString()) ?? [];
  }

  async dial(addr: string): Promise<PeerInfo> {
    return this.dialAny([addr]);
  }

  async dialAny(addrs: readonly string[]): Promise<PeerInfo> {
    const node = this.requireStarted();
    const text = addrs.join(' ');
    if (addrs.length === 0) throw new DialError('no address to dial', text);
    const mas: Multiaddr[] = [];
    for (const addr of addrs) {
      try {
        mas.push(multiaddr(addr));
      } catch (err) {
        throw new DialError(`not a multiaddr: ${addr}`, addr, { cause: err });
      }
    }
    const peers = new Set(mas.map((ma) => ma.getComponents().findLast((c) => c.name === 'p2p')?.value));
    if (mas.length > 1 && (peers.size !== 1 || peers.has(undefined))) throw new DialError(`addresses of more than one peer, or without /p2p/<id>: ${text}`, text);
    let conn: Connection;
    try {
      // libp2p dials a peer's addresses together, relayed ones after direct ones.
      conn = await node.dial(mas.length === 1 ? mas[0]! : mas, { signal: AbortSignal.timeout(this.dialTimeoutMs) });
    } catch (err) {
      throw new DialError(`could not connect to ${text}: ${errorText(err)}`, text, { cause: err });
    }
    const info = this.peerInfo(conn.remotePeer, [...mas, conn.remoteAddr]);
    if (info === undefined) throw new DialError(`peer at ${text} has no Ed25519 identity`, text);
    return info;
  }

  async listenViaRelay(relayAddr: string): Promise<void> {
    const node = this.requireStarted();
    let ma: Multiaddr;
    try {
      ma = multiaddr(relayAddr);
    } catch (err) {
      throw new DialError(`not a multiaddr: ${relayAddr}`, relayAddr, { cause: err });
    }
    if (!ma.getComponents().some((c) => c.name === 'p2p')) throw new DialError(`a relay address needs /p2p/<relay id>: ${relayAddr}`, relayAddr);
    const service = (node.services as { relayListen?: RelayListenService }).relayListen;
    if (service === undefined) throw new TransportStateError('the relay listener is missing');
    try {
      await service.listen(ma.encapsulate('/p2p-circuit'));
    } catch (err) {
      throw new DialError(`no relay slot on ${relayAddr}: ${errorText(err)}`, relayAddr, { cause: err });
    }
    this.emitAddresses();
  }

  relayStatus(): { reservations: number; circuits: number } {
    // A relayed connection is a HOP stream from its dialler spliced to a STOP stream to its
    // listener: count the HOP streams still open (a reservation's HOP stream ends at once).
    let circuits = 0;
    for (const c of this.node?.getConnections() ?? []) for (const s of c.streams) if (s.protocol === RELAY_HOP && s.status === 'open') circuits++;
    return { reservations: this.relayServer()?.reservations.size ?? 0, circuits };
  }

  async openChannel(peer: Uint8Array, protocol: string): Promise<FrameChannel> {
    const node = this.requireStarted();
    checkProtocolId(protocol);
    const peerId = peerIdFromWeftKey(peer);
    let stream: Stream;
    try {
      const options = { signal: AbortSignal.timeout(this.dialTimeoutMs), maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL, runOnLimitedConnection: true };
      // On a connection we hold, unlimited (direct) before limited (relayed): libp2p's own
      // choice ignores limited ones and dials again, every known address (WebRTC too).
      const open = node.getConnections(peerId).filter((c) => c.status === 'open');
      const held = open.find((c) => c.limits === undefined) ?? open[0];
      stream = held ? await held.newStream(protocol, options) : await node.dialProtocol(peerId, protocol, options);
    } catch (err) {
      throw new DialError(`could not open ${protocol} to ${peerId.toString()}: ${errorText(err)}`, peerId.toString(), {
        cause: err,
      });
    }
    if (this.state !== 'started') {
      stream.abort(new ChannelClosedError('the transport stopped'));
      throw new TransportStateError('the transport stopped while the channel opened');
    }
    const connections = node.getConnections(peerId);
    const connection = connections.find((c) => c.streams.includes(stream)) ?? connections[0];
    return this.wrap(stream, peer, protocol, connection?.remoteAddr);
  }

  handle(protocol: string, onChannel: (channel: FrameChannel) => void): () => void {
    checkProtocolId(protocol);
    if (this.handlers.has(protocol)) throw new TransportStateError(`protocol ${protocol} already has a handler`);
    this.handlers.set(protocol, onChannel);
    if (this.node !== undefined && this.state !== 'stopping' && this.state !== 'stopped') {
      void this.register(protocol).catch(() => {});
    }
    return () => {
      if (this.handlers.get(protocol) !== onChannel) return;
      this.handlers.delete(protocol);
      void this.node?.unhandle(protocol).catch(() => {});
    };
  }

  on<K extends keyof TransportEvents>(event: K, listener: (info: TransportEvents[K]) => void): () => void {
    const set = this.listeners[event] as Set<(info: TransportEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  // ---- internals ----

  /** The WebRTC transport when asked for and its native module loads (loaded only then: it is a native add-on). */
  private async webrtcTransport(): Promise<ReturnType<typeof import('@libp2p/webrtc').webRTC> | undefined> {
    const opts = this.init.webrtc;
    if (opts === undefined) return undefined;
    try {
      const { webRTC } = await import('@libp2p/webrtc');
      return webRTC({ rtcConfiguration: { iceServers: opts.stunServers.length ? [{ urls: [...opts.stunServers] }] : [] } });
    } catch (err) {
      this.init.log?.(`WebRTC unavailable, teammates behind NATs stay relayed: ${errorText(err)}`);
      return undefined;
    }
  }

  private async register(protocol: string): Promise<void> {
    await this.node!.handle(
      protocol,
      (stream, connection) => {
        const onChannel = this.handlers.get(protocol);
        const remote = weftKeyFromPeerId(connection.remotePeer);
        if (onChannel === undefined || remote === undefined || this.state !== 'started') {
          stream.abort(new ChannelClosedError(`not serving ${protocol}`));
          return;
        }
        const channel = this.wrap(stream, remote, protocol, connection.remoteAddr);
        try {
          onChannel(channel);
        } catch (err) {
          channel.abort(new TransportError(`the ${protocol} handler failed: ${errorText(err)}`, { cause: err }));
        }
      },
      { maxInboundStreams: this.init.maxInboundChannels ?? DEFAULT_MAX_INBOUND_CHANNELS, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL, runOnLimitedConnection: true },
    );
  }

  private wrap(stream: Stream, remote: Uint8Array, protocol: string, remoteAddr: Multiaddr | undefined): StreamFrameChannel {
    const remoteAddress = remoteAddr === undefined ? undefined : ipOf(remoteAddr);
    const relay = remoteAddr === undefined ? undefined : relayOf(remoteAddr);
    const channel = new StreamFrameChannel(stream, {
      remote,
      protocol,
      ...(remoteAddress !== undefined ? { remoteAddress } : {}),
      ...(relay !== undefined ? { relay } : {}),
      // Both ends of a WebRTC connection see /webrtc in its remote address.
      ...(remoteAddr?.getComponents().some((c) => c.name === 'webrtc') ? { webrtc: true } : {}),
      maxFrameBytes: this.maxFrameBytes,
      budget: this.budget,
      ...(this.init.frameProgressMs !== undefined ? { frameProgressMs: this.init.frameProgressMs } : {}),
      onProtocolError: (error) => {
        this.emit('channel:error', { remote, protocol, error });
        // A peer that tried to make us hold more than its share of unfinished frames is
        // hostile (an honest one has at most a couple of frames under way): we drop all its
        // connections, so it stops sending on its other channels too.
        if (error instanceof ReceiveLimitError && error.perPeer) void this.node?.hangUp(peerIdFromWeftKey(remote)).catch(() => {});
      },
    });
    this.channels.add(channel);
    channel.onClose(() => this.channels.delete(channel));
    return channel;
  }

  private relayServer(): CircuitRelayService | undefined {
    return (this.node?.services as { relay?: CircuitRelayService } | undefined)?.relay;
  }

  /** An 'addresses' event when our addresses changed since the last one. */
  private emitAddresses(): void {
    if (this.state !== 'started') return;
    const addrs = this.addresses();
    const key = addrs.join(' ');
    if (key === this.lastAddresses) return;
    this.lastAddresses = key;
    this.emit('addresses', addrs);
  }

  private requireStarted(): Libp2p {
    if (this.state !== 'started' || this.node === undefined) {
      throw new TransportStateError(`the transport is ${this.state}; call start() first`);
    }
    return this.node;
  }

  private connectionAddrs(peer: PeerId): Multiaddr[] {
    return this.node?.getConnections(peer).map((c) => c.remoteAddr) ?? [];
  }

  /** `addrs` in order of preference; each gets /p2p/<peer id> if it lacks one. */
  private peerInfo(peer: PeerId, addrs: Multiaddr[]): PeerInfo | undefined {
    const publicKey = weftKeyFromPeerId(peer);
    if (publicKey === undefined) return undefined;
    const text = peer.toString();
    const seen = new Set<string>();
    const withPeer: string[] = [];
    for (const ma of addrs) {
      const s = ma.getComponents().some((c) => c.name === 'p2p') ? ma.toString() : `${ma.toString()}/p2p/${text}`;
      if (!seen.has(s)) {
        seen.add(s);
        withPeer.push(s);
      }
    }
    return { publicKey, peerKeyText: text, addr: withPeer[0] ?? `/p2p/${text}`, addrs: withPeer };
  }

  private emitPeer(event: 'peer:connect' | 'peer:disconnect' | 'peer:discovery', peer: PeerId, addrs: Multiaddr[]): void {
    const info = this.peerInfo(peer, addrs);
    if (info !== undefined) this.emit(event, info);
  }

  private emit<K extends keyof TransportEvents>(event: K, info: TransportEvents[K]): void {
    for (const listener of this.listeners[event] as Set<(info: TransportEvents[K]) => void>) {
      try {
        listener(info);
      } catch {
        // a listener's failure is its own; keep the transport running
      }
    }
  }
}

/** The IP address of a multiaddr (its ip4 or ip6 component), if it has one. */
function ipOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value;
}

/** The relay's Weft key when `ma` is a relayed (p2p-circuit) address: the /p2p/ before /p2p-circuit. */
function relayOf(ma: Multiaddr): Uint8Array | undefined {
  const parts = ma.getComponents();
  const circuit = parts.findIndex((c) => c.name === 'p2p-circuit');
  // A WebRTC connection signalled through the relay is direct: the relay only carried its offer.
  if (circuit < 0 || parts.slice(circuit).some((c) => c.name === 'webrtc')) return undefined;
  const relayId = parts.slice(0, circuit).findLast((c) => c.name === 'p2p')?.value;
  if (relayId === undefined) return undefined;
  try {
    return weftKeyFromPeerId(peerIdFromString(relayId));
  } catch {
    return undefined;
  }
}

function isWebSocket(ma: Multiaddr): boolean {
  return ma.getComponents().some((c) => c.name === 'ws' || c.name === 'wss');
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
