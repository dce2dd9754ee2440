/**
 * Faults on whole nodes for the simulator's scenarios: crashes (a crashed node restarts
 * from its disk a while later), partitions between two nodes and offline spells (a node
 * cut from every other), each healing on its own time. The seed picks every moment; a
 * scenario calls `due()` between its steps and `healAll()` before it lets the team settle.
 */
import type { MemoryTransport } from './memory-network.js';
import type { Simulation } from './simulation.js';

/** A SimPeer or a SimBroker. */
export interface FaultyNode {
  readonly running: boolean;
  /** The node's current transport (a restart makes a new one). */
  readonly transport: MemoryTransport;
  crash(): void;
  restart(): Promise<void>;
}

export class SimFaults {
  crashes = 0;
  partitions = 0;
  private readonly restarts: Array<{ at: number; node: FaultyNode }> = [];
  private readonly heals: Array<{ at: number; a: FaultyNode; b: FaultyNode }> = [];

  constructor(
    private readonly sim: Simulation,
    /** Every node, in a fixed order (the seed picks among them). */
    private readonly nodes: () => readonly FaultyNode[],
    /** How long a crashed node stays down, in ms. */
    private readonly downMs: readonly [number, number] = [300, 5000],
  ) {}

  /** Kills `node` within `withinMs` (so also between a commit and its fsync); it restarts later. */
  crash(node: FaultyNode, withinMs: number): void {
    this.sim.clock.after(this.sim.between(0, withinMs), () => {
      if (!node.running) return;
      node.crash();
      this.crashes++;
      this.restarts.push({ at: this.sim.clock.now() + this.sim.between(this.downMs[0], this.downMs[1]), node });
    });
  }

  /** Kills a running node, picked by the seed, within 20 ms. */
  crashOne(): void {
    const running = this.nodes().filter((n) => n.running);
    if (running.length > 0) this.crash(this.sim.pick(running), 20);
  }

  /** Cuts the link between `a` and `b` for `forMs`. */
  partition(a: FaultyNode, b: FaultyNode, forMs: number): void {
    this.sim.network.partition(a.transport, b.transport);
    this.partitions++;
    this.heals.push({ at: this.sim.clock.now() + forMs, a, b });
  }

  /** Cuts two nodes picked by the seed apart for `forMs`. */
  partitionTwo(forMs: () => number): void {
    const all = this.nodes();
    const a = this.sim.pick(all);
    const b = this.sim.pick(all.filter((n) => n !== a));
    this.partition(a, b, forMs());
  }

  /** Cuts `node` from every other node for `forMs` (a train, a plane). */
  offline(node: FaultyNode, forMs: number): void {
    for (const other of this.nodes()) if (other !== node) this.partition(node, other, forMs);
  }

  /** Restarts the crashed nodes whose time has come, then heals the partitions whose time has come. */
  async due(): Promise<void> {
    const now = this.sim.clock.now();
    for (const r of this.restarts.filter((r) => r.at <= now)) {
      this.restarts.splice(this.restarts.indexOf(r), 1);
      await this.sim.complete(r.node.restart());
    }
    for (const h of this.heals.filter((h) => h.at <= now)) {
      this.heals.splice(this.heals.indexOf(h), 1);
      this.sim.network.heal(h.a.transport, h.b.transport);
    }
  }

  /** Heals every partition, then restarts every crashed node. */
  async healAll(): Promise<void> {
    for (const h of this.heals.splice(0)) this.sim.network.heal(h.a.transport, h.b.transport);
    for (const r of this.restarts.splice(0)) await this.sim.complete(r.node.restart());
  }
}
