/**
 * The Transport face of one node on a MemoryNetwork: its lifecycle, the protocols
 * it serves, its listeners and which peers it is connected to. Where messages go
 * and when they arrive is the network's business (memory-network.ts).
 */
import { toHex } from '../src/crypto/bytes-util.js';
import {
  ChannelClosedError,
  DialError,
  InvalidPeerKeyError,
  TransportError,
  TransportStateError,
} from '../src/ports/transport-errors.js';
import { checkProtocolId } from '../src/ports/protocol-id.js';
import type { FrameChannel, PeerInfo, Transport, TransportEvents } from '../src/ports/transport.js';
import type { MemoryChannel } from './memory-channel.js';
import type { MemoryConnection, MemoryNetwork } from './memory-network.js';

type State = 'new' | 'started' | 'stopped' | 'crashed';
type Listeners = { [K in keyof TransportEvents]: Set<(info: TransportEvents[K]) => void> };

export interface MemoryTransportIdentity {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly maxFrameBytes: number;
}

export class MemoryTransport implements Transport {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly peerKeyText: string;
  readonly maxFrameBytes: number;
  /** The address others dial, also before start() (addresses() is empty until then). */
  readonly address: string;
  private current: State = 'new';
  private readonly handlers = new Map<string, (channel: FrameChannel) => void>();
  /** Connections attached on our side, and how many per peer (events fire on the first and last). */
  private readonly connections = new Set<MemoryConnection>();
  private readonly perPeer = new Map<string, number>();
  /** Where each peer we met can be dialled (dial(), inbound connections), for openChannel. */
  private readonly known = new Map<string, string>();
  private readonly listeners: Listeners = {
    'peer:connect': new Set(),
    'peer:disconnect': new Set(),
    'peer:discovery': new Set(),
    'channel:error': new Set(),
    addresses: new Set(),
  };

  constructor(
    private readonly network: MemoryNetwork,
    identity: MemoryTransportIdentity,
  ) {
    this.name = identity.name;
    this.publicKey = identity.publicKey;
    this.peerKeyText = toHex(identity.publicKey);
    this.maxFrameBytes = identity.maxFrameBytes;
    this.address = memoryAddress(identity.name, identity.publicKey);
  }

  get state(): State {
    return this.current;
  }

  get crashed(): boolean {
    return this.current === 'crashed';
  }

  /** Stopped or crashed: its name may go to a new transport. */
  get gone(): boolean {
    return this.current === 'stopped' || this.current === 'crashed';
  }

  async start(): Promise<void> {
    if (this.current !== 'new') throw new TransportStateError(`start() on a transport that is ${this.current}`);
    this.current = 'started';
  }

  async stop(): Promise<void> {
    if (this.current !== 'started') {
      if (this.current === 'new') this.current = 'stopped';
      return;
    }
    this.current = 'stopped';
    this.network.stopped(this);
  }

  addresses(): string[] {
    return this.current === 'started' ? [this.address] : [];
  }

  async dial(addr: string): Promise<PeerInfo> {
    this.requireStarted();
    const target = this.network.resolve(addr);
    if (target === this) throw new DialError('a transport cannot dial itself', addr);
    const expected = this.network.expectedKey(addr);
    const existing = this.connectionTo(target.publicKey);
    if (existing === undefined || (expected !== undefined && expected !== target.peerKeyText)) {
      await this.network.connect(this, target, addr);
    }
    return memoryPeerInfo(target);
  }

  async openChannel(peer: Uint8Array, protocol: string): Promise<FrameChannel> {
    this.requireStarted();
    checkProtocolId(protocol);
    if (!(peer instanceof Uint8Array) || peer.byteLength !== 32) {
      throw new InvalidPeerKeyError('a peer key is a 32-byte Ed25519 public key');
    }
    let connection = this.connectionTo(peer);
    if (connection === undefined) {
      const addr = this.known.get(toHex(peer));
      if (addr === undefined) throw new DialError(`no known address for peer ${toHex(peer)}; dial() it first`, toHex(peer));
      connection = await this.network.connect(this, this.network.resolve(addr), addr);
    }
    // a stop() meanwhile closes the connection, and the open fails with DialError
    return this.network.openChannel(this, connection, protocol);
  }

  handle(protocol: string, onChannel: (channel: FrameChannel) => void): () => void {
    checkProtocolId(protocol);
    if (this.handlers.has(protocol)) throw new TransportStateError(`protocol ${protocol} already has a handler`);
    this.handlers.set(protocol, onChannel);
    return () => {
      if (this.handlers.get(protocol) === onChannel) this.handlers.delete(protocol);
    };
  }

  on<K extends keyof TransportEvents>(event: K, listener: (info: TransportEvents[K]) => void): () => void {
    const set = this.listeners[event] as Set<(info: TransportEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  // ---- used by MemoryNetwork ----

  handlerOf(protocol: string): ((channel: FrameChannel) => void) | undefined {
    return this.handlers.get(protocol);
  }

  /** Passes a channel a remote opened to its handler; a handler that throws resets it. */
  accept(onChannel: (channel: FrameChannel) => void, channel: MemoryChannel): void {
    try {
      onChannel(channel);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      channel.abort(new TransportError(`the ${channel.protocol} handler failed: ${message}`, { cause: err }), `${this.name} failed to serve ${channel.protocol}`);
    }
  }

  /** A connection is up on our side: 'peer:connect' if it is the first to that peer. */
  attach(connection: MemoryConnection): void {
    if (this.crashed || this.connections.has(connection)) return;
    const other = connection.other(this);
    this.connections.add(connection);
    this.known.set(other.peerKeyText, other.address);
    const count = (this.perPeer.get(other.peerKeyText) ?? 0) + 1;
    this.perPeer.set(other.peerKeyText, count);
    if (count === 1) this.emit('peer:connect', memoryPeerInfo(other));
  }

  /** A connection is gone on our side: 'peer:disconnect' if it was the last to that peer. */
  detach(connection: MemoryConnection): void {
    if (this.crashed || !this.connections.delete(connection)) return;
    const other = connection.other(this);
    const count = (this.perPeer.get(other.peerKeyText) ?? 1) - 1;
    if (count > 0) {
      this.perPeer.set(other.peerKeyText, count);
      return;
    }
    this.perPeer.delete(other.peerKeyText);
    this.emit('peer:disconnect', memoryPeerInfo(other));
  }

  /** Marks the transport dead (MemoryNetwork.crash); false if it already was. */
  markCrashed(): boolean {
    if (this.crashed) return false;
    this.current = 'crashed';
    this.connections.clear();
    this.perPeer.clear();
    return true;
  }

  stoppedError(): ChannelClosedError {
    return new ChannelClosedError('the transport stopped');
  }

  emit<K extends keyof TransportEvents>(event: K, info: TransportEvents[K]): void {
    if (this.crashed) return;
    for (const listener of this.listeners[event] as Set<(info: TransportEvents[K]) => void>) {
      try {
        listener(info);
      } catch {
        // a listener's failure is its own; keep the transport running
      }
    }
  }

  // ---- internals ----

  private connectionTo(peer: Uint8Array): MemoryConnection | undefined {
    const text = toHex(peer);
    for (const connection of this.connections) {
      if (connection.open && connection.other(this).peerKeyText === text) return connection;
    }
    return undefined;
  }

  private requireStarted(): void {
    if (this.current !== 'started') throw new TransportStateError(`the transport is ${this.current}; call start() first`);
  }
}

/** PeerInfo of a memory transport: its one address is dialable from anywhere on the network. */
export function memoryPeerInfo(transport: MemoryTransport): PeerInfo {
  return { publicKey: transport.publicKey, peerKeyText: transport.peerKeyText, addr: transport.address, addrs: [transport.address] };
}

export function memoryAddress(name: string, publicKey: Uint8Array): string {
  return `/memory/${name}/p2p/${toHex(publicKey)}`;
}
