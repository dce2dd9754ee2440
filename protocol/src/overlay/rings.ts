/**
 * PolderCast's topic rings: for each topic a node subscribes to, the subscribers are
 * ordered by node id on a ring (wrap-around), and the node keeps its `slots` nearest
 * successors and predecessors on that ring, plus a few random other subscribers as
 * shortcuts. Only confirmed subscribers enter a ring: ids come from ring gossip, where a
 * node answers only for topics it subscribes to and vouches for the ids it sends.
 *
 * The degree a topic adds is at most 2 * slots + shortcuts.
 */
import type { Random } from '../ports/clock.js';
import type { PeerId } from './descriptor.js';
import { randomIndex } from './random.js';

export interface RingOptions {
  /** Neighbours kept on each side of the ring (default 2: the second is the fallback when the first is gone). */
  slots?: number;
  /** Random other subscribers kept per topic (default 4). */
  shortcuts?: number;
}

/** Clockwise distance rank: ids after `me` come first (ascending), then those before it (wrap-around). */
function after(me: PeerId, a: PeerId, b: PeerId): number {
  const wa = a > me ? 0 : 1;
  const wb = b > me ? 0 : 1;
  if (wa !== wb) return wa - wb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One topic's ring neighbourhood, seen from `me`. */
export class TopicRing {
  /** Nearest first, clockwise (ids after me). */
  readonly successors: PeerId[] = [];
  /** Nearest first, counter-clockwise (ids before me). */
  readonly predecessors: PeerId[] = [];
  readonly shortcuts: PeerId[] = [];

  constructor(
    readonly topic: string,
    private readonly me: PeerId,
    private readonly slots: number,
    private readonly shortcutSlots: number,
  ) {}

  has(id: PeerId): boolean {
    return this.successors.includes(id) || this.predecessors.includes(id) || this.shortcuts.includes(id);
  }

  /** Every subscriber of the topic this node knows (a few ids: arrays beat a Set here, profiled). */
  known(): PeerId[] {
    const out = this.successors.slice();
    for (const id of this.predecessors) if (!out.includes(id)) out.push(id);
    for (const id of this.shortcuts) if (!out.includes(id)) out.push(id);
    return out;
  }

  /**
   * The known subscriber nearest BEFORE `target` going clockwise from this node (as
   * Chord's closest preceding finger), or undefined when this node is the nearest it
   * knows: where a join for `target` goes next.
   */
  closestPreceding(target: PeerId): PeerId | undefined {
    let best: PeerId | undefined;
    for (const id of this.known()) {
      if (id === target || after(this.me, id, target) >= 0) continue; // at or past the target
      if (best === undefined || after(this.me, best, id) < 0) best = id;
    }
    return best;
  }

  /**
   * Where to send along one side of the ring, in order: that side's neighbours, nearest
   * first, then the shortcuts in ring order from this node in that direction. An event
   * whose ring neighbours on a side are all gone lands on the nearest shortcut there, and
   * that node, not hearing it from a ring neighbour, sends it back over the gap as well.
   */
  alongSide(side: 'successors' | 'predecessors'): PeerId[] {
    const list = side === 'successors' ? this.successors : this.predecessors;
    const further = this.shortcuts.filter((id) => !list.includes(id));
    further.sort(side === 'successors' ? (a, b) => after(this.me, a, b) : (a, b) => after(this.me, b, a));
    return [...list, ...further];
  }

  /** Both sides hold as many neighbours as they have slots. */
  filled(): boolean {
    return this.successors.length >= this.slots && this.predecessors.length >= this.slots;
  }

  /** Would `id` become one of the ring neighbours? */
  improves(id: PeerId): boolean {
    if (id === this.me || this.successors.includes(id) || this.predecessors.includes(id)) return false;
    const succ = this.successors;
    const pred = this.predecessors;
    return (
      succ.length < this.slots ||
      pred.length < this.slots ||
      after(this.me, id, succ[succ.length - 1]) < 0 ||
      after(this.me, pred[pred.length - 1], id) < 0
    );
  }

  /** Takes a confirmed subscriber into the ring slots it improves, else maybe as a shortcut. */
  offer(id: PeerId, random: Random): void {
    if (id === this.me) return;
    const inSucc = insertOrdered(this.successors, id, this.slots, (a, b) => after(this.me, a, b));
    const inPred = insertOrdered(this.predecessors, id, this.slots, (a, b) => after(this.me, b, a));
    if (inSucc || inPred || this.shortcuts.includes(id)) return;
    if (this.shortcuts.length < this.shortcutSlots) this.shortcuts.push(id);
    else if (this.shortcutSlots > 0 && random() < 0.5) this.shortcuts[randomIndex(random, this.shortcutSlots)] = id;
  }

  remove(id: PeerId): void {
    for (const list of [this.successors, this.predecessors, this.shortcuts]) {
      const i = list.indexOf(id);
      if (i >= 0) list.splice(i, 1);
    }
  }
}

/** Inserts `id` into the sorted, bounded `list`; true if it is in the list afterwards. */
function insertOrdered(list: PeerId[], id: PeerId, bound: number, compare: (a: PeerId, b: PeerId) => number): boolean {
  if (list.includes(id)) return true;
  let i = 0;
  while (i < list.length && compare(list[i], id) < 0) i++;
  if (i >= bound) return false;
  list.splice(i, 0, id);
  if (list.length > bound) list.pop();
  return true;
}

/** The rings of every topic a node subscribes to. */
export class TopicRings {
  private readonly rings = new Map<string, TopicRing>();
  private readonly slots: number;
  private readonly shortcutSlots: number;

  constructor(
    readonly me: PeerId,
    topics: Iterable<string>,
    private readonly random: Random,
    options: RingOptions = {},
  ) {
    this.slots = options.slots ?? 2;
    this.shortcutSlots = options.shortcuts ?? 4;
    for (const t of topics) this.rings.set(t, new TopicRing(t, me, this.slots, this.shortcutSlots));
  }

  /** A ring for a topic this node now carries too (empty; gossip fills it). */
  add(topic: string): void {
    if (!this.rings.has(topic)) this.rings.set(topic, new TopicRing(topic, this.me, this.slots, this.shortcutSlots));
  }

  ring(topic: string): TopicRing | undefined {
    return this.rings.get(topic);
  }

  topics(): string[] {
    return [...this.rings.keys()];
  }

  offer(topic: string, ids: readonly PeerId[]): void {
    const ring = this.rings.get(topic);
    if (ring) for (const id of ids) ring.offer(id, this.random);
  }

  remove(id: PeerId): void {
    for (const ring of this.rings.values()) ring.remove(id);
  }

  /** Every distinct node in any ring or shortcut list. */
  neighbours(): Set<PeerId> {
    const out = new Set<PeerId>();
    for (const ring of this.rings.values()) for (const id of ring.known()) out.add(id);
    return out;
  }
}
