/**
 * A broker on Node, as `weft broker` runs it: BrokerServer (protocol/runtime/) wired to
 * libp2p, its data directory and the real clock.
 *
 * Data directory:
 *   <data>/identity      the broker's Ed25519 seed (hex, mode 0600), created on first start
 *   <data>/LOCK          pid of the running broker (one broker per data directory)
 *   <data>/broker.json   written at start: pid, peer key, listen addresses
 *   <data>/status.json   rewritten every few seconds: topics, events, bytes, clients
 *   <data>/topics/<hex>/ one crash-safe log per topic (protocol/storage/broker-store.ts)
 *   <data>/chunks/<hex>/ the topic's encrypted chunks (protocol/storage/topic-chunk-shelf.ts)
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_BROKER_LIMITS } from '../src/broker/index.js';
import { every } from '../src/ports/clock.js';
import { fromHex, publicKeyToText, randomBytes, toHex } from '../src/crypto/index.js';
import { BrokerServer, type BrokerServerInit, type BrokerStatus } from '../runtime/broker-server.js';
import { BrokerStore } from '../storage/broker-store.js';
import { DirectoryLock } from '../storage/file-lock.js';
import { PackTopicChunkShelf } from '../storage/topic-chunk-shelf.js';
import { createTransport, type RelayServerOptions, type TransportInit } from '../transport/index.js';
import { returnMemoryAfterGrowth } from './memory-return.js';
import { StunServer } from '../transport/stun-server.js';
import { systemClock, systemRandom } from './system-clock.js';

export interface NodeBrokerInit extends Omit<BrokerServerInit, 'transport' | 'events' | 'chunkShelf' | 'clock' | 'overlay'> {
  dataDir: string;
  /** Multiaddrs to listen on. Default: TCP and WebSockets on 127.0.0.1, random ports. */
  listen?: string[];
  maxFrameBytes?: number;
  /** How often status.json is rewritten. Default 2 s. */
  statusIntervalMs?: number;
  /** The transport's connection and memory limits (libp2p-transport.ts; defaults there). */
  connectionLimits?: BrokerConnectionLimits;
  /**
   * Circuit relay v2 for peers behind NATs, with these limits (protocol/transport/relay-server.ts;
   * defaults there), or false for none. Default: on, with the defaults.
   */
  relay?: RelayServerOptions | false;
  /**
   * Answer STUN Binding requests on UDP at each TCP listen address (same IP and port), so
   * that teammates behind NATs learn their public address for WebRTC (issue 19). Default on.
   */
  stun?: boolean;
  /**
   * The overlay (docs/OVERLAY.md): brokers to join through, and the gossip period in ms
   * (default 5,000, jittered). Every broker takes part; with no bootstrap broker it waits
   * for others to join through it. False: none (then only peer brokers carry its topics).
   */
  overlay?: { bootstrap: readonly string[]; periodMs?: number } | false;
}

/** The transport limits a broker operator sets (`weft broker --inbound-connections-per-address` ...). */
export type BrokerConnectionLimits = Pick<TransportInit, 'inboundConnectionsPerAddress' | 'maxConnections' | 'maxInboundChannels' | 'maxUnfinishedBytesPerPeer' | 'maxUnfinishedBytes' | 'frameProgressMs'>;

/** What status.json holds: the server's status and the process that wrote it. */
export type BrokerStatusFile = BrokerStatus & { readonly pid: number };

const IDENTITY_FILE = 'identity';

/** Reads the broker's identity seed, creating it (0600) on first use. */
export async function loadOrCreateIdentity(dataDir: string): Promise<Uint8Array> {
  const path = join(dataDir, IDENTITY_FILE);
  try {
    const text = (await readFile(path, 'utf8')).trim();
    const seed = fromHex(text);
    if (seed.length !== 32) throw new Error(`${path} does not hold a 32-byte hex seed`);
    return seed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const seed = randomBytes(32);
  await writeFile(path, `${toHex(seed)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return seed;
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, path);
}

export class NodeBroker {
  private stopStatus: () => void = () => {};
  private stun: StunServer[] = [];

  private constructor(
    readonly server: BrokerServer,
    private readonly dataDir: string,
    private readonly lock: DirectoryLock,
  ) {}

  static async start(init: NodeBrokerInit): Promise<NodeBroker> {
    const { dataDir, listen, maxFrameBytes, statusIntervalMs, connectionLimits, relay, stun, overlay, ...options } = init;
    await mkdir(dataDir, { recursive: true });
    const lock = await DirectoryLock.acquire(dataDir);
    let server: BrokerServer | undefined;
    try {
      const seed = await loadOrCreateIdentity(dataDir);
      const maxEventBytes = init.limits?.maxEventBytes ?? DEFAULT_BROKER_LIMITS.maxEventBytes;
      // The relay asks the server's gate, which exists once the server does (it starts the transport).
      let gate: ((peer: Uint8Array) => Promise<boolean>) | undefined;
      const admit = (peer: Uint8Array): Promise<boolean> => (gate ? gate(peer) : Promise.resolve(false));
      server = await BrokerServer.start({
        ...options,
        clock: systemClock,
        transport: createTransport({
          identitySeed: seed,
          listen: listen ?? ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'],
          ...(maxFrameBytes ? { maxFrameBytes } : {}),
          ...connectionLimits,
          ...(relay !== false ? { relayServer: { ...relay, admit } } : {}),
        }),
        events: new BrokerStore(dataDir, { maxRecordBytes: Math.max(maxEventBytes, 1 << 20) * 2 }),
        chunkShelf: new PackTopicChunkShelf(join(dataDir, 'chunks'), () => systemClock.now()),
        ...(overlay !== false
          ? { overlay: { secretKey: seed, bootstrap: overlay?.bootstrap ?? [], random: systemRandom, ...(overlay?.periodMs !== undefined ? { periodMs: overlay.periodMs } : {}) } }
          : {}),
      });
      const started = server;
      gate = (peer) => started.relayGate.admit(peer);
      await writeJsonAtomically(join(dataDir, 'broker.json'), { pid: process.pid, peerKey: publicKeyToText(server.publicKey), addresses: server.addresses(), startedAt: new Date().toISOString() });
      const broker = new NodeBroker(server, dataDir, lock);
      if (stun !== false) broker.stun = await startStun(server.addresses(), (text) => init.log?.('warn', text));
      await broker.writeStatus();
      const stopStatus = every(systemClock, statusIntervalMs ?? 2000, () => void broker.writeStatus().catch(() => {}), true);
      const stopMemory = returnMemoryAfterGrowth({ clock: systemClock });
      broker.stopStatus = () => {
        stopStatus();
        stopMemory();
      };
      return broker;
    } catch (err) {
      await server?.stop().catch(() => {});
      await lock.release();
      throw err;
    }
  }

  addresses(): string[] {
    return this.server.addresses();
  }

  get publicKey(): Uint8Array {
    return this.server.publicKey;
  }

  private async writeStatus(): Promise<void> {
    const status: BrokerStatusFile = { ...this.server.status(), pid: process.pid };
    await writeJsonAtomically(join(this.dataDir, 'status.json'), status);
  }

  /** Stops the server (pending stores settle first), writes the last status, releases the data directory. */
  async stop(): Promise<void> {
    this.stopStatus();
    await Promise.all(this.stun.map((s) => s.close().catch(() => undefined)));
    try {
      await this.server.stop();
      await this.writeStatus().catch(() => {});
    } finally {
      await this.lock.release();
    }
  }
}

/** A STUN server per TCP listen address (IPv4 and IPv6, same IP and port, UDP); one that cannot bind is logged and skipped. */
async function startStun(addresses: readonly string[], warn: (text: string) => void): Promise<StunServer[]> {
  const out: StunServer[] = [];
  const seen = new Set<string>();
  for (const a of addresses) {
    const m = /^\/ip([46])\/([^/]+)\/tcp\/(\d+)\/p2p\//.exec(a);
    if (!m || seen.has(`${m[2]}:${m[3]}`)) continue;
    seen.add(`${m[2]}:${m[3]}`);
    try {
      out.push(await StunServer.listen(m[2]!, Number(m[3])));
    } catch (err) {
      warn(`no STUN server on udp ${m[2]}:${m[3]}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
