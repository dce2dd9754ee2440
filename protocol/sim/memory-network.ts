/**
 * An in-memory network of Transports, all in one process, on an injected Clock:
 * the transport a simulation or a unit test runs whole nodes over. It keeps the
 * contract of protocol/src/ports/transport.ts as the libp2p transport does
 * (test/protocol/transport/transport-acceptance.ts runs both), and adds the
 * faults a simulator needs: partitions and crashes.
 *
 * Addresses are `/memory/<name>/p2p/<public key hex>`. A name stays with a node
 * across restarts: a transport created after the last holder of a name stopped or
 * crashed takes the name, and its address, over.
 *
 * Timing, all on the clock, one-way delays from the `latency` option:
 * - dial: the target accepts after one delay (its 'peer:connect'), the dialer
 *   hears back after another (its 'peer:connect', then dial() resolves);
 * - openChannel: the remote's handler gets its end after one delay, the opener
 *   its end after another; a refusal (protocol not served) also takes the round trip;
 * - frames, ends and resets: one delay each, in order per channel direction;
 * - a dial into a partition fails after `dialTimeoutMs`, as a real one times out;
 * - stop(): the stopping side's channels end at once (ChannelClosedError), the
 *   remote's one delay later (ChannelResetError), behind the frames already sent;
 * - partition() and crash() cut links at once: what was in flight is lost, the
 *   surviving ends are reset (ChannelResetError) and see 'peer:disconnect' at once.
 *
 * There is no LAN here: 'peer:discovery' never fires; peers find each other by
 * address. Nothing here reads the wall clock, draws randomness or sets a timer: the
 * same calls on the same clock give the same run.
 */
import { ChannelResetError, DialError, InvalidPeerKeyError } from '../src/ports/transport-errors.js';
import { DEFAULT_MAX_FRAME_BYTES, checkFrameLimit } from '../src/ports/frame-limits.js';
import type { Clock } from '../src/ports/clock.js';
import { MemoryChannel, createChannelPair, type ChannelEndInit } from './memory-channel.js';
import { MemoryTransport } from './memory-transport.js';

export { MemoryTransport, memoryAddress, memoryPeerInfo } from './memory-transport.js';

export const DEFAULT_LATENCY_MS = 1;
/** Unread bytes per channel end before the sender waits (libp2p's inbox high water, see frame-channel.ts). */
export const DEFAULT_HIGH_WATER_BYTES = 1024 * 1024;
/** As libp2p's DEFAULT_DIAL_TIMEOUT_MS. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;

export interface MemoryNetworkInit {
  clock: Clock;
  /** One-way delay in ms from `from` to `to`, asked for every packet (default 1; 0 is allowed). */
  latency?: (from: MemoryTransport, to: MemoryTransport) => number;
  /** Default frame limit of the network's transports (default 4 MiB, as libp2p's). */
  maxFrameBytes?: number;
  /** Unread bytes a channel end holds before the other side's send() waits (default 1 MiB). */
  highWaterBytes?: number;
  /** How long a dial into a partition takes to fail (default 10 s). */
  dialTimeoutMs?: number;
}

export interface MemoryTransportInit {
  /** The node's 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The node's name in its address; letters, digits, `.`, `_` and `-`. Default: a number. */
  name?: string;
  /** This transport's frame limit (default: the network's). */
  maxFrameBytes?: number;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const ADDRESS = /^\/memory\/([A-Za-z0-9._-]{1,64})(?:\/p2p\/([0-9a-f]{64}))?$/;

/** A connection between two transports; each side attaches it once it knows of it. */
export class MemoryConnection {
  open = true;
  /** The channel ends on this connection that have not ended, with their owners. */
  readonly ends = new Map<MemoryChannel, MemoryTransport>();

  constructor(
    readonly dialer: MemoryTransport,
    readonly listener: MemoryTransport,
  ) {}

  other(side: MemoryTransport): MemoryTransport {
    return side === this.dialer ? this.listener : this.dialer;
  }
}

export class MemoryNetwork {
  private readonly clock: Clock;
  private readonly latencyOf: (from: MemoryTransport, to: MemoryTransport) => number;
  private readonly maxFrameBytes: number;
  private readonly highWaterBytes: number;
  private readonly dialTimeoutMs: number;
  private readonly byName = new Map<string, MemoryTransport>();
  private readonly connections = new Set<MemoryConnection>();
  /** Partitioned pairs of names, `a/b` with a < b. */
  private readonly partitions = new Set<string>();
  private created = 0;

  constructor(init: MemoryNetworkInit) {
    this.clock = init.clock;
    this.latencyOf = init.latency ?? (() => DEFAULT_LATENCY_MS);
    this.maxFrameBytes = checkFrameLimit(init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.highWaterBytes = positive('highWaterBytes', init.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES);
    this.dialTimeoutMs = positive('dialTimeoutMs', init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS);
  }

  /** A new transport (not started) for a node; its name must not be held by a running transport. */
  createTransport(init: MemoryTransportInit): MemoryTransport {
    if (!(init.publicKey instanceof Uint8Array) || init.publicKey.byteLength !== 32) {
      throw new InvalidPeerKeyError('a memory transport needs a 32-byte Ed25519 public key');
    }
    const name = init.name ?? String(this.created);
    if (!NAME.test(name)) throw new RangeError(`a memory transport name is letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
    const holder = this.byName.get(name);
    if (holder !== undefined && !holder.gone) throw new RangeError(`the name ${name} is held by a transport that has not stopped`);
    this.created++;
    const transport = new MemoryTransport(this, {
      name,
      publicKey: init.publicKey.slice(),
      maxFrameBytes: checkFrameLimit(init.maxFrameBytes ?? this.maxFrameBytes),
    });
    this.byName.set(name, transport);
    return transport;
  }

  // ---- faults ----

  /** Cuts the link between two nodes (by name, so it outlives restarts): channels reset, dials fail. */
  partition(a: MemoryTransport, b: MemoryTransport): void {
    this.partitions.add(pairKey(a.name, b.name));
    for (const connection of [...this.connections]) {
      const { dialer, listener } = connection;
      if (pairKey(dialer.name, listener.name) !== pairKey(a.name, b.name)) continue;
      const reason = `network partition between ${dialer.name} and ${listener.name}`;
      this.closeConnection(connection, (end) => end.cut(new ChannelResetError(reason)));
      this.connections.delete(connection);
      dialer.detach(connection);
      listener.detach(connection);
    }
  }

  /** Restores the link between two nodes; nothing reconnects by itself. */
  heal(a: MemoryTransport, b: MemoryTransport): void {
    this.partitions.delete(pairKey(a.name, b.name));
  }

  /**
   * Kills a node as a process is killed: nothing of it runs again (no listener, no
   * settled promise), what it had in flight is lost, and its peers' channels reset.
   */
  crash(transport: MemoryTransport): void {
    if (!transport.markCrashed()) return;
    for (const connection of [...this.connections]) {
      if (connection.dialer !== transport && connection.listener !== transport) continue;
      const other = connection.other(transport);
      const reason = `the connection to ${transport.name} was lost (the process died)`;
      this.closeConnection(connection, (end, owner) => (owner === transport ? end.halt() : end.cut(new ChannelResetError(reason))));
      this.connections.delete(connection);
      other.detach(connection);
    }
  }

  isPartitioned(a: MemoryTransport, b: MemoryTransport): boolean {
    return this.partitions.has(pairKey(a.name, b.name));
  }

  // ---- used by MemoryTransport ----

  /** One-way delay from `from` to `to`, checked. */
  latency(from: MemoryTransport, to: MemoryTransport): number {
    const ms = this.latencyOf(from, to);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency from ${from.name} to ${to.name} is ${ms}; it must be finite and >= 0`);
    return ms;
  }

  /** The transport holding the name in `addr` (running or not), or a DialError if there is none. */
  resolve(addr: string): MemoryTransport {
    const match = ADDRESS.exec(addr);
    if (match === null) throw new DialError(`not a memory address (/memory/<name>/p2p/<key hex>): ${addr}`, addr);
    const target = this.byName.get(match[1]!);
    if (target === undefined) throw new DialError(`no node is named ${match[1]} on this network`, addr);
    return target;
  }

  /** The key the address requires the target to prove, if it names one. */
  expectedKey(addr: string): string | undefined {
    return ADDRESS.exec(addr)?.[2];
  }

  /**
   * Dials `to` from `from` (see the timing above). Settles only if `from` is
   * alive when the answer comes: a crashed dialer never hears back.
   */
  connect(from: MemoryTransport, to: MemoryTransport, addr: string): Promise<MemoryConnection> {
    const startedAt = this.clock.now();
    const expected = this.expectedKey(addr);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        if (!from.crashed) reject(new DialError(`could not connect to ${addr}: ${why}`, addr));
      };
      const timedOut = (): void => {
        this.clock.after(Math.max(0, startedAt + this.dialTimeoutMs - this.clock.now()), () =>
          fail(`timed out after ${this.dialTimeoutMs} ms (no route to ${to.name})`),
        );
      };
      this.carry(from, to, timedOut, () => {
        if (from.state !== 'started') return fail('the transport stopped while dialling');
        const refusal =
          to.state !== 'started'
            ? `connection refused (${to.name} is not running)`
            : expected !== undefined && expected !== to.peerKeyText
              ? `${to.name} is ${to.peerKeyText}, not ${expected}`
              : undefined;
        if (refusal !== undefined) {
          this.carry(to, from, timedOut, () => fail(refusal));
          return;
        }
        const connection = new MemoryConnection(from, to);
        this.connections.add(connection);
        to.attach(connection);
        this.carry(to, from, timedOut, () => {
          // a dialer that stopped or died meanwhile closed this connection (stopped(), crash())
          if (!connection.open) return fail('the connection closed while it was set up');
          from.attach(connection);
          resolve(connection);
        });
      });
    });
  }

  /**
   * Opens a channel for `protocol` on an attached connection (see the timing
   * above). Rejects with DialError if the remote does not serve the protocol.
   */
  openChannel(from: MemoryTransport, connection: MemoryConnection, protocol: string): Promise<MemoryChannel> {
    const to = connection.other(from);
    const target = to.address;
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        if (!from.crashed) reject(new DialError(`could not open ${protocol} to ${to.name}: ${why}`, target));
      };
      const lost = (): void => fail('the connection was lost');
      this.carry(from, to, lost, () => {
        if (!connection.open) return fail('the connection was lost');
        const onChannel = to.handlerOf(protocol);
        if (onChannel === undefined || to.state !== 'started') {
          this.carry(to, from, lost, () => fail(`${to.name} does not serve ${protocol}`));
          return;
        }
        const [local, remote] = createChannelPair(
          this.clock,
          protocol,
          this.endInit(from, to, protocol, connection, () => local),
          this.endInit(to, from, protocol, connection, () => remote),
        );
        connection.ends.set(local, from);
        connection.ends.set(remote, to);
        // the answer is on its way before the handler runs, so it precedes any frame the handler sends
        this.carry(to, from, lost, () => {
          if (!connection.open || local.closeReason !== undefined) return fail('the connection was lost');
          resolve(local);
        });
        to.accept(onChannel, remote);
      });
    });
  }

  /** Ends a connection after its transport stopped: its ends now, the remote's behind what was sent. */
  stopped(transport: MemoryTransport): void {
    for (const connection of [...this.connections]) {
      if (connection.dialer !== transport && connection.listener !== transport) continue;
      const other = connection.other(transport);
      const delay = this.latency(transport, other);
      this.closeConnection(connection, (end, owner) => {
        if (owner === transport) end.abort(transport.stoppedError(), `${transport.name} stopped`);
      });
      transport.detach(connection);
      // kept in the set until the remote hears, so a crash or partition meanwhile still reaches its ends
      this.clock.after(delay, () => {
        other.detach(connection);
        this.connections.delete(connection);
      });
    }
  }

  // ---- internals ----

  private endInit(
    owner: MemoryTransport,
    peer: MemoryTransport,
    protocol: string,
    connection: MemoryConnection,
    self: () => MemoryChannel,
  ): ChannelEndInit {
    return {
      remote: peer.publicKey,
      maxFrameBytes: owner.maxFrameBytes,
      highWaterBytes: this.highWaterBytes,
      latency: () => this.latency(owner, peer),
      onProtocolError: (error) => owner.emit('channel:error', { remote: peer.publicKey, protocol, error }),
      onEnded: () => connection.ends.delete(self()),
    };
  }

  /** Marks a connection closed and applies `end` to each channel end still on it. */
  private closeConnection(connection: MemoryConnection, end: (channel: MemoryChannel, owner: MemoryTransport) => void): void {
    connection.open = false;
    for (const [channel, owner] of [...connection.ends]) end(channel, owner);
  }

  /**
   * Carries a message from `from` to `to` after the link's delay; `lost` instead
   * if the link is partitioned when it leaves or when it would arrive. The
   * receiver's state is for `arrive` to judge: a dead process's host still refuses.
   */
  private carry(from: MemoryTransport, to: MemoryTransport, lost: () => void, arrive: () => void): void {
    if (this.isPartitioned(from, to)) {
      lost();
      return;
    }
    this.clock.after(this.latency(from, to), () => {
      if (this.isPartitioned(from, to)) lost();
      else arrive();
    });
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}/${b}` : `${b}/${a}`;
}

function positive(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${option} must be a positive number, got ${value}`);
  return value;
}
