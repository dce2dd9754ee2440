/**
 * RingCast dissemination over a topic ring (Voulgaris, van Steen: "Hybrid
 * Dissemination"; PolderCast): with fanout F,
 * - an event received from a ring neighbour goes on in the OPPOSITE direction (to the
 *   nearest neighbour on the other side) and to F-1 random subscribers;
 * - an event from anyone else (a shortcut, or published here) goes to both ring
 *   neighbours and F-2 random subscribers;
 * - the sender never gets its event back, and an event id seen before is dropped.
 * The direction is decided by which side's list holds the sender, never by comparing ids
 * (an id comparison breaks at the ring's wrap-around and for shortcut senders).
 *
 * A ring target carries its fallbacks (the further neighbours on that side, then the
 * shortcuts on that side in ring order): the adapter sends to the first one it reaches,
 * so dead neighbours do not cut the ring, and a side left empty still sends. An event
 * from a farther neighbour on one side also goes to the nearer ones on that side, which
 * the sender skipped (a ring not yet consistent: the sender does not know them).
 */
import type { Random } from '../ports/clock.js';
import type { PeerId } from './descriptor.js';
import { sample } from './random.js';
import type { TopicRing } from './rings.js';

export interface Forward {
  /** The nodes to try in order; the event goes to the first reachable one. */
  readonly targets: readonly PeerId[];
}

/** The forwards for one event at one node, by the rule above. */
export function ringcastTargets(ring: TopicRing, from: PeerId | undefined, fanout: number, random: Random): Forward[] {
  // In a small ring one node can be on both sides: it counts on the side where it is nearer.
  const s = from === undefined ? -1 : ring.successors.indexOf(from);
  const p = from === undefined ? -1 : ring.predecessors.indexOf(from);
  const fromSuccessor = s >= 0 && (p < 0 || s <= p);
  const fromPredecessor = p >= 0 && !fromSuccessor;
  const out: Forward[] = [];
  const used = new Set<PeerId>(from === undefined ? [] : [from]);
  const side = (name: 'successors' | 'predecessors') => {
    const targets = ring.alongSide(name).filter((id) => !used.has(id));
    if (targets.length === 0) return;
    used.add(targets[0]);
    out.push({ targets });
  };
  // From the successor side it goes counter-clockwise, and the reverse; a two-member
  // ring has the same node on both sides, so the `used` set keeps it from bouncing back.
  if (!fromSuccessor) side('successors');
  if (!fromPredecessor) side('predecessors');
  // From a FARTHER neighbour on one side: the sender skipped the nearer ones between it
  // and this node (it does not know them yet, e.g. a newcomer), so they get it from here.
  const skipped = fromSuccessor ? ring.successors.slice(0, s) : fromPredecessor ? ring.predecessors.slice(0, p) : [];
  for (const id of skipped) {
    if (used.has(id)) continue;
    used.add(id);
    out.push({ targets: [id] });
  }
  const ringNeighbour = fromSuccessor || fromPredecessor;
  const randomCount = Math.max(0, fanout - (ringNeighbour ? 1 : 2));
  // Random targets from the shortcuts first: far links make the event cross any break
  // in the ring; the further ring neighbours only when shortcuts run out.
  const picked = sample(random, ring.shortcuts.filter((id) => !used.has(id)), randomCount);
  for (const id of picked) used.add(id);
  const rest = ring.known().filter((id) => !used.has(id));
  for (const id of [...picked, ...sample(random, rest, randomCount - picked.length)]) out.push({ targets: [id] });
  return out;
}

/** Event ids already seen, the oldest forgotten first beyond `capacity`. */
export class SeenEvents {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 4096) {}

  /** True the first time an id is offered, false for a duplicate. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
    return true;
  }
}
