/**
 * A round-based network of overlay nodes (the real OverlayNode of protocol/src/overlay),
 * in one process: each round every live node ticks in a random order and its messages,
 * and the answers they cause, are delivered at once. A message to a dead node fails, and
 * the sender is told (as a closed connection would tell a broker). Not the whole-node
 * simulator: no payloads, no virtual time inside a round, so 10,000 nodes run quickly.
 */
import { OverlayNode, type OverlayNodeOptions, type Outgoing } from '../../src/overlay/index.js';
import type { Random } from '../../src/ports/clock.js';
import { sample } from '../../src/overlay/random.js';
import { randomId, residualSessionLength, sessionLength, ZipfTopics } from './workload.js';

export interface Dissemination {
  /** Subscribers that got the event / subscribers expected to. */
  delivered: number;
  expected: number;
  /** Event messages sent, and those that arrived at a node that had it already. */
  messages: number;
  duplicates: number;
  hops: number[];
  /** Expected receivers the event did not reach. */
  missed: string[];
}

export interface NetworkOptions {
  nodes: number;
  /** Mean subscriptions per node (default 10). */
  meanTopics?: number;
  /** Topics in the Zipf popularity (default nodes / 10, at least 50). */
  topics?: number;
  node?: OverlayNodeOptions;
  /** Mean session length in rounds for churn (undefined: no churn). */
  meanSession?: number;
}

export class OverlayNetwork {
  readonly nodes = new Map<string, OverlayNode>();
  /** Round a node joined, and round its session ends. */
  private readonly joined = new Map<string, number>();
  private readonly leaves = new Map<string, number>();
  readonly zipf: ZipfTopics;
  round = 0;
  messagesSent = 0;

  constructor(
    private readonly random: Random,
    readonly options: NetworkOptions,
  ) {
    this.zipf = new ZipfTopics(options.topics ?? Math.max(50, Math.round(options.nodes / 10)));
    for (let i = 0; i < options.nodes; i++) this.join(true);
  }

  private join(initial = false): OverlayNode {
    let id = randomId(this.random);
    while (this.nodes.has(id)) id = randomId(this.random);
    // A smaller URPS sketch than a broker's (its figures come from urps-experiment.ts): 10,000 nodes fit in memory.
    const options = { urps: { width: 256 }, ...this.options.node };
    const node = new OverlayNode(id, this.zipf.subscriptions(this.random, this.options.meanTopics ?? 10), this.random, options);
    const others = [...this.sampleAlive(5)].map((n) => n.descriptor());
    node.bootstrap(others);
    this.nodes.set(id, node);
    this.joined.set(id, this.round);
    const mean = this.options.meanSession;
    if (mean !== undefined) this.leaves.set(id, this.round + (initial ? residualSessionLength(this.random, mean) : sessionLength(this.random, mean)));
    return node;
  }

  /** Up to `k` random live nodes. */
  sampleAlive(k: number): OverlayNode[] {
    const all = [...this.nodes.values()];
    if (all.length <= k * 4) return sample(this.random, all, k);
    const out = new Set<OverlayNode>();
    while (out.size < k) out.add(all[Math.floor(this.random() * all.length)]);
    return [...out];
  }

  /** Rounds since a node joined. */
  age(id: string): number {
    return this.round - (this.joined.get(id) ?? this.round);
  }

  /** Nodes online for at least `rounds` rounds. */
  settled(rounds: number): OverlayNode[] {
    return [...this.nodes.values()].filter((n) => this.round - (this.joined.get(n.id) ?? 0) >= rounds);
  }

  /** Kills nodes at once (no replacement). */
  kill(ids: Iterable<string>): void {
    for (const id of ids) {
      this.nodes.delete(id);
      this.joined.delete(id);
      this.leaves.delete(id);
    }
  }

  /** One gossip round; with churn, sessions that end leave first and as many new nodes join. */
  step(): void {
    this.round++;
    if (this.options.meanSession !== undefined) {
      const gone = [...this.leaves].filter(([, end]) => end <= this.round).map(([id]) => id);
      this.kill(gone);
      for (let i = 0; i < gone.length; i++) this.join();
    }
    const order = sample(this.random, [...this.nodes.values()], this.nodes.size);
    for (const node of order) this.deliver(node.id, node.tick());
  }

  /** Delivers gossip and what it causes, depth first (answers at once). */
  private deliver(from: string, out: readonly Outgoing[]): void {
    for (const o of out) {
      this.messagesSent++;
      const target = this.nodes.get(o.to);
      const sender = this.nodes.get(from);
      if (!target) {
        sender?.unreachable(o.to);
        continue;
      }
      const step = target.receive(from, o.message, this.round);
      if (step.send.length > 0) this.deliver(o.to, step.send);
    }
  }

  /** Publishes one event from `publisher` and spreads it breadth first; returns what it reached. */
  disseminate(publisher: OverlayNode, topic: string, event: string, expected: readonly OverlayNode[]): Dissemination {
    const result: Dissemination = { delivered: 0, expected: expected.length, messages: 0, duplicates: 0, hops: [], missed: [] };
    const reached = new Set<string>([publisher.id]);
    let queue: Array<{ from: string; out: Outgoing }> = publisher.publish(topic, event).map((out) => ({ from: publisher.id, out }));
    while (queue.length > 0) {
      const next: typeof queue = [];
      for (const { from, out } of queue) {
        const to = [out.to, ...(out.fallbacks ?? [])].find((id) => {
          if (this.nodes.has(id)) return true;
          this.nodes.get(from)?.unreachable(id);
          return false;
        });
        if (to === undefined) continue;
        result.messages++;
        const target = this.nodes.get(to);
        if (!target) continue;
        const step = target.receive(from, out.message, this.round);
        if (step.duplicate) result.duplicates++;
        if (step.delivered) {
          reached.add(to);
          result.hops.push(step.delivered.hops);
        }
        for (const o of step.send) next.push({ from: to, out: o });
      }
      queue = next;
    }
    for (const n of expected) {
      if (reached.has(n.id)) result.delivered++;
      else result.missed.push(n.id);
    }
    return result;
  }
}
