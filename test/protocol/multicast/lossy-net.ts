/**
 * A seeded, lossy in-memory network of CausalMulticast nodes with a fake clock, for
 * tests: every message takes 1..maxLatency ms and is lost with probability `loss`;
 * the wire codec runs on every message so what travels is what the real wire carries.
 */
import { CausalMulticast, type MulticastOutput, type NeighbourRole } from '../../../protocol/src/multicast/causal-multicast.js';
import { decodeWire, encodeWire } from '../../../protocol/src/multicast/wire.js';
import type { ShareReplica } from '../../../protocol/src/share/replica.js';

export interface SimNode {
  name: string;
  replica: ShareReplica;
  mc: CausalMulticast;
  nextTick: number | undefined;
  delivered: number;
}

interface InFlight {
  at: number;
  seq: number;
  from: string;
  to: string;
  bytes: Uint8Array;
}

export class LossyNet {
  /** Only messages of these types are lost (default: any); a real channel loses no SYNC frame. */
  lossyTypes: ReadonlySet<string> | undefined;
  now = 0;
  readonly nodes = new Map<string, SimNode>();
  private readonly links = new Set<string>();
  private queue: InFlight[] = [];
  private seq = 0;
  sent = 0;
  lost = 0;

  constructor(
    private readonly random: () => number,
    /** Probability that a message is lost (tests may change it mid-run). */
    public loss = 0,
    private readonly maxLatency = 10,
  ) {}

  add(name: string, replica: ShareReplica, gapDelayMs = 150): SimNode {
    const mc = new CausalMulticast({ replica, topics: () => replica.topicsNewestFirst(), gapDelayMs });
    const n: SimNode = { name, replica, mc, nextTick: undefined, delivered: 0 };
    this.nodes.set(name, n);
    return n;
  }

  connect(a: string, b: string, roleOfB: NeighbourRole = 'peer'): void {
    this.links.add(`${a}|${b}`).add(`${b}|${a}`);
    this.apply(this.nodes.get(a)!, this.nodes.get(a)!.mc.connected(b, roleOfB, this.now));
    this.apply(this.nodes.get(b)!, this.nodes.get(b)!.mc.connected(a, 'peer', this.now));
  }

  disconnect(a: string, b: string): void {
    this.links.delete(`${a}|${b}`);
    this.links.delete(`${b}|${a}`);
    this.nodes.get(a)!.mc.disconnected(b);
    this.nodes.get(b)!.mc.disconnected(a);
  }

  /** A local edit on `name`: insert `text` at a random offset of the file, commit, publish. */
  edit(name: string, file: Parameters<ShareReplica['edit']>[0], text: string): void {
    const n = this.nodes.get(name)!;
    const len = n.replica.text(file).length;
    n.replica.edit(file, Math.floor(this.random() * (len + 1)), 0, text);
    const env = n.replica.flush()!;
    this.apply(n, n.mc.localCommit(env.bytes, this.now));
  }

  apply(n: SimNode, out: MulticastOutput): void {
    for (const s of out.send) {
      this.sent++;
      if (!this.links.has(`${n.name}|${s.to}`)) continue;
      if ((this.lossyTypes === undefined || this.lossyTypes.has(s.msg.type)) && this.random() < this.loss) {
        this.lost++;
        continue;
      }
      const at = this.now + 1 + Math.floor(this.random() * this.maxLatency);
      this.queue.push({ at, seq: this.seq++, from: n.name, to: s.to, bytes: encodeWire(s.msg) });
    }
    if (out.deliver.length) {
      for (const d of out.deliver) n.replica.receive(d.commit);
      n.delivered += out.deliver.length;
      this.apply(n, n.mc.merged(this.now));
    }
    n.nextTick = out.nextTickAt ?? n.nextTick;
  }

  /** Runs until nothing is in flight and no timer is due before `until`. */
  run(until: number): void {
    for (;;) {
      this.queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
      const msg = this.queue[0];
      let tickNode: SimNode | undefined;
      for (const n of this.nodes.values()) if (n.nextTick !== undefined && (!tickNode || n.nextTick < tickNode.nextTick!)) tickNode = n;
      const tAt = tickNode?.nextTick;
      if (!msg && tAt === undefined) return;
      const t = Math.min(msg?.at ?? Infinity, tAt ?? Infinity);
      if (t > until) return;
      this.now = Math.max(this.now, t);
      if (msg && msg.at === t) {
        this.queue.shift();
        if (!this.links.has(`${msg.from}|${msg.to}`)) continue;
        const n = this.nodes.get(msg.to)!;
        this.apply(n, n.mc.receive(msg.from, decodeWire(msg.bytes), this.now));
      } else if (tickNode) {
        tickNode.nextTick = undefined;
        this.apply(tickNode, tickNode.mc.tick(this.now));
      }
    }
  }
}
