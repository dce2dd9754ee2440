/**
 * The transport as the rest of Weft sees it: authenticated peers named by their
 * 32-byte Ed25519 public keys, and framed, flow-controlled channels, one
 * protocol id per Weft protocol (`/weft/<name>/<version>`). No libp2p type
 * appears here: protocol/transport/ implements it over libp2p, and the runtime
 * (protocol/runtime/) is written against this interface only.
 */
import type { TransportError } from './transport-errors.js';

/** A peer as the transport knows it. */
export interface PeerInfo {
  /** The peer's 32-byte Ed25519 public key (authenticated on connection events). */
  readonly publicKey: Uint8Array;
  /** A printable form of publicKey (the libp2p peer id text), for logs and UI. */
  readonly peerKeyText: string;
  /**
   * The best known address, a multiaddr ending in /p2p/<peer id>. On an inbound
   * connection it is the remote's source address, which may not be dialable.
   */
  readonly addr: string;
  /** Every address known for the peer from this event (addr first). */
  readonly addrs: readonly string[];
}

/** A channel closed because of bad input from the remote. */
export interface ChannelErrorInfo {
  readonly remote: Uint8Array;
  readonly protocol: string;
  readonly error: TransportError;
}

export interface TransportEvents {
  /** First connection to a peer opened (either direction). */
  'peer:connect': PeerInfo;
  /** Last connection to a peer closed. */
  'peer:disconnect': PeerInfo;
  /** A peer announced itself on the LAN (repeats at the mDNS interval). Not authenticated until dialled. */
  'peer:discovery': PeerInfo;
  /** A channel was closed because the remote broke the framing rules. */
  'channel:error': ChannelErrorInfo;
  /** Our own dialable addresses changed (a relay slot reserved or lost): the new list, as addresses() gives it. */
  'addresses': readonly string[];
}

export interface Transport {
  /** Our 32-byte Ed25519 public key (available before start()). */
  readonly publicKey: Uint8Array;
  /** The frame size limit of every channel of this transport. */
  readonly maxFrameBytes: number;
  start(): Promise<void>;
  /** Closes every channel and connection, stops listening and discovery. Idempotent. */
  stop(): Promise<void>;
  /** Dialable multiaddr strings, each ending in /p2p/<peer id>. Empty before start(). */
  addresses(): string[];
  /**
   * Connects to a multiaddr (with /p2p/<peer id> the remote must prove that
   * identity) and returns the authenticated peer. Rejects with DialError.
   */
  dial(addr: string): Promise<PeerInfo>;
  /**
   * Opens a channel for `protocol` to the peer with this public key, dialling it
   * first from known addresses (dial(), discovery) if not connected.
   * Rejects with DialError (unreachable, timeout, protocol not served).
   */
  openChannel(peer: Uint8Array, protocol: string): Promise<FrameChannel>;
  /**
   * Serves `protocol`: each channel a remote opens is passed to onChannel.
   * One handler per protocol; may be called before or after start().
   * Returns a function that stops serving the protocol.
   */
  handle(protocol: string, onChannel: (channel: FrameChannel) => void): () => void;
  on<K extends keyof TransportEvents>(event: K, listener: (info: TransportEvents[K]) => void): () => void;
  /**
   * Reserves a slot on the circuit relay at `relayAddr` (a broker, with /p2p/<its id>), so
   * that peers who cannot dial us reach us through it at `<relayAddr>/p2p-circuit/p2p/<us>`
   * (then in addresses(), and an 'addresses' event). Resolves once reserved; rejects with
   * DialError when the relay cannot be reached or refuses. Transports without relays omit it.
   */
  listenViaRelay?(relayAddr: string): Promise<void>;
  /**
   * Connects to one peer known by several addresses (all ending in the same /p2p/<id>),
   * trying them together (direct ones before relayed ones); like dial() otherwise.
   */
  dialAny?(addrs: readonly string[]): Promise<PeerInfo>;
  /**
   * Our circuit relay now (brokers): peers holding a slot, and relayed connections open
   * through us (each splices two peers' streams). Transports without a relay server omit it.
   */
  relayStatus?(): { reservations: number; circuits: number };
}

/**
 * A bidirectional stream of frames (whole byte messages) with one peer.
 * Closing is mutual: when either side calls close(), the other side's frames()
 * ends after the frames already sent, and its channel closes too.
 */
export interface FrameChannel {
  /** The remote's Ed25519 public key, authenticated by Noise. */
  readonly remote: Uint8Array;
  /** The protocol id this channel speaks. */
  readonly protocol: string;
  /**
   * The remote's IP address as this side sees the connection (behind a NAT: the NAT's),
   * when the transport has one; a broker counts new topics per address with it.
   */
  readonly remoteAddress?: string;
  /**
   * When the channel runs over a relayed connection (circuit relay through a broker): the
   * relay's 32-byte public key. Undefined on a direct connection.
   */
  readonly relay?: Uint8Array;
  /**
   * True when the connection is WebRTC: direct, over a UDP path punched through both sides'
   * NATs (the relay only carried its offer). Undefined on other connections.
   */
  readonly webrtc?: boolean;
  /**
   * Sends one frame. Resolves once the frame is handed to the connection; when
   * the remote reads slowly it waits, so `await` each send to bound memory.
   * Frames sent in the same tick are batched. Do not mutate `frame` afterwards.
   * Rejects with FrameTooLargeError above maxFrameBytes, ChannelClosedError when closed.
   */
  send(frame: Uint8Array): Promise<void>;
  /**
   * The incoming frames, in order. Call once. Ends when the channel closes,
   * normally or not (see closeReason); bad input from the remote never throws
   * here. Leaving the loop early closes the channel.
   */
  frames(): AsyncIterable<Uint8Array>;
  /** Flushes queued frames, then ends the channel for both sides. Idempotent. */
  close(): Promise<void>;
  /** True once close() was called or the channel ended. */
  readonly closed: boolean;
  /** Why the channel ended abnormally (remote reset, bad framing, transport stopped); undefined otherwise. */
  readonly closeReason: TransportError | undefined;
  /** Called once when the channel has fully ended; with the reason if abnormal. */
  onClose(listener: (reason: TransportError | undefined) => void): () => void;
}
