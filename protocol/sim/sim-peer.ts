/**
 * A whole member in the simulation: the ShareNode and PeerRuntime that `weft peer` and
 * the extension run, over a memory transport, a simulated disk and a skewed clock. It
 * can crash (unsynced log records lost, timers and connections gone) and restart from
 * its disk, as a killed editor does.
 */
import { signingKeyPairFromSeed, type RandomSource, type SigningKeyPair } from '../src/crypto/index.js';
import type { CommitId } from '../src/log/ids.js';
import { ShareNode } from '../src/node/share-node.js';
import type { Random } from '../src/ports/clock.js';
import { PeerRuntime, type PeerAddress } from '../runtime/peer-runtime.js';
import { MemoryChunkStore } from '../storage/memory-chunk-store.js';
import type { MemoryTransport } from './memory-network.js';
import { NodeClock } from './node-clock.js';
import { SimDisk } from './sim-disk.js';
import type { Simulation } from './simulation.js';

const SHARE_LOG = 'share';

export interface SimPeerInit {
  readonly name: string;
  /** Fraction of outgoing data frames dropped (the runtime's loss hook). */
  readonly dropRate?: number;
  /** Its disk acknowledges writes before they are durable (sim-disk.ts): an injected bug. */
  readonly lyingDisk?: boolean;
  /** Its transport's frame limit (default the network's): the dishonest member's is larger, to send oversized frames. */
  readonly maxFrameBytes?: number;
}

export class SimPeer {
  readonly name: string;
  readonly keys: SigningKeyPair;
  readonly disk: SimDisk;
  private readonly cryptoRandom: RandomSource;
  private readonly jitter: Random;
  private readonly dropRate: number;
  private readonly maxFrameBytes: number | undefined;
  private clock: NodeClock;
  transport: MemoryTransport;
  runtime: PeerRuntime | undefined;
  node: ShareNode | undefined;
  addresses: PeerAddress[] = [];
  shareId: Uint8Array | undefined;
  invitationTopics: Uint8Array[] = [];
  /** Commits this node said were stored (commit() resolved): a restart must still hold them. */
  readonly acked = new Set<CommitId>();
  /** Acknowledged commits that were not in the log when it restarted (before any teammate could send them back). */
  readonly lostOnRestart: CommitId[] = [];
  readonly logLines: string[] = [];

  constructor(
    private readonly sim: Simulation,
    init: SimPeerInit,
  ) {
    this.name = init.name;
    this.keys = signingKeyPairFromSeed(sim.randomSource()(32));
    this.cryptoRandom = sim.randomSource();
    this.jitter = sim.stream();
    this.dropRate = init.dropRate ?? 0;
    this.maxFrameBytes = init.maxFrameBytes;
    this.clock = this.newClock();
    this.disk = new SimDisk({ clock: this.clock, random: sim.stream(), fsyncMs: () => sim.between(0.5, 8), acknowledgesEarly: init.lyingDisk ?? false });
    this.transport = this.newTransport();
  }

  get running(): boolean {
    return this.runtime !== undefined;
  }

  get address(): string {
    return this.transport.address;
  }

  /** This incarnation's clock (a new one after each restart; its timers die with a crash): the folder mirror runs on it. */
  get nodeClock(): NodeClock {
    return this.clock;
  }

  /** Creates the share on this node (it becomes the owner). */
  async createShare(name: string): Promise<void> {
    const { node, shareKey } = await ShareNode.create(this.disk.log(SHARE_LOG), name, this.keys, this.cryptoRandom);
    this.node = node;
    this.shareId = shareKey.publicKey;
  }

  /** Opens the share from this node's disk (a joiner's disk is empty: it starts without keys). */
  async open(): Promise<void> {
    if (this.shareId === undefined) throw new Error(`${this.name} has no invitation`);
    const { node } = await ShareNode.open({ store: this.disk.log(SHARE_LOG), shareId: this.shareId, me: this.keys, random: this.cryptoRandom });
    this.node = node;
  }

  /** Starts the runtime (the node must be open). */
  async start(): Promise<void> {
    if (this.node === undefined) throw new Error(`${this.name} is not open`);
    await this.transport.start();
    const runtime = new PeerRuntime({
      node: this.node,
      transport: this.transport,
      addresses: this.addresses,
      name: this.name,
      invitationTopics: this.invitationTopics,
      chunks: new MemoryChunkStore({ now: () => this.clock.now() }),
      clock: this.clock,
      random: this.jitter,
      dropRate: this.dropRate,
    });
    runtime.on('log', (line) => this.logLines.push(line));
    runtime.start();
    this.runtime = runtime;
  }

  /** Commits what the replica staged; the ids it stored count as acknowledged. */
  async commit(): Promise<void> {
    const runtime = this.runtime;
    if (runtime === undefined) return;
    // Several commits when the size limit splits them: the last is stored with (after) the others.
    const env = await runtime.commit();
    if (env !== undefined) this.acked.add(env.id);
  }

  /** Killed: timers, connections and unsynced writes die with it. */
  crash(): void {
    this.sim.network.crash(this.transport);
    this.clock.halt();
    this.disk.crash();
    this.runtime = undefined;
    this.node = undefined;
  }

  /** Starts again from what the disk kept. */
  async restart(): Promise<void> {
    this.clock = this.newClock();
    this.disk.attach(this.clock);
    this.transport = this.newTransport();
    await this.open();
    for (const id of this.acked) if (!this.node!.replica.has(id)) this.lostOnRestart.push(id);
    await this.start();
  }

  private newTransport(): MemoryTransport {
    return this.sim.network.createTransport({ publicKey: this.keys.publicKey, name: this.name, ...(this.maxFrameBytes !== undefined ? { maxFrameBytes: this.maxFrameBytes } : {}) });
  }

  private newClock(): NodeClock {
    return new NodeClock(this.sim.clock, Math.round(this.sim.between(-2000, 2000)));
  }
}
