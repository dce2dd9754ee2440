/**
 * A whole broker in the simulation: the BrokerServer that `weft broker` runs, over a
 * memory transport, a simulated disk and its own skewed clock. It can crash (what was
 * not fsync'd is lost) and restart from what its disk kept.
 */
import { signingKeyPairFromSeed, type SigningKeyPair } from '../src/crypto/index.js';
import { BrokerServer } from '../runtime/broker-server.js';
import type { MemoryTransport } from './memory-network.js';
import { NodeClock } from './node-clock.js';
import { SimBrokerEvents, SimChunkShelf } from './sim-broker-storage.js';
import { SimDisk } from './sim-disk.js';
import type { Simulation } from './simulation.js';

export class SimBroker {
  readonly keys: SigningKeyPair;
  readonly disk: SimDisk;
  private readonly shelf: SimChunkShelf;
  private clock: NodeClock;
  transport: MemoryTransport;
  server: BrokerServer | undefined;
  /** Its peer brokers' addresses. */
  peerBrokers: string[] = [];
  readonly logLines: string[] = [];

  constructor(
    private readonly sim: Simulation,
    readonly name: string,
  ) {
    this.keys = signingKeyPairFromSeed(sim.randomSource()(32));
    this.clock = this.newClock();
    this.disk = new SimDisk({ clock: this.clock, random: sim.stream(), fsyncMs: () => sim.between(0.5, 8) });
    this.shelf = new SimChunkShelf(() => this.clock.now());
    this.transport = sim.network.createTransport({ publicKey: this.keys.publicKey, name });
  }

  get address(): string {
    return this.transport.address;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    this.server = await BrokerServer.start({
      transport: this.transport,
      events: new SimBrokerEvents(this.disk),
      chunkShelf: this.shelf,
      peerBrokers: this.peerBrokers,
      clock: this.clock,
      log: (level, text) => this.logLines.push(`${level} ${text}`),
    });
  }

  /** Killed: its timers, connections and unsynced writes die with it. */
  crash(): void {
    this.sim.network.crash(this.transport);
    this.clock.halt();
    this.disk.crash();
    this.server = undefined;
  }

  /** Starts again from what the disk kept, at the same name and address. */
  async restart(): Promise<void> {
    this.clock = this.newClock();
    this.disk.attach(this.clock);
    this.transport = this.sim.network.createTransport({ publicKey: this.keys.publicKey, name: this.name });
    await this.start();
  }

  private newClock(): NodeClock {
    return new NodeClock(this.sim.clock, Math.round(this.sim.between(-2000, 2000)));
  }
}
