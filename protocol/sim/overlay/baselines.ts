/**
 * The dissemination baselines measured beside RingCast on the same subscribers:
 * plain flooding over the overlay's own links among a topic's subscribers, and a
 * GossipSub-style per-topic mesh (degree D = 6, accepted up to D_hi = 12) over which every
 * event is flooded (GossipSub's eager push; its lazy IHAVE gossip only adds messages).
 */
import type { Random } from '../../src/ports/clock.js';
import { sample } from '../../src/overlay/random.js';

export interface FloodResult {
  delivered: number;
  messages: number;
  duplicates: number;
}

/** Floods from `publisher` over an undirected graph (id -> neighbours): every new receiver sends to all but its sender. */
export function flood(graph: ReadonlyMap<string, ReadonlySet<string>>, publisher: string): FloodResult {
  const reached = new Set<string>([publisher]);
  let messages = 0;
  let duplicates = 0;
  let frontier: Array<[string, string | undefined]> = [[publisher, undefined]];
  while (frontier.length > 0) {
    const next: Array<[string, string]> = [];
    for (const [node, from] of frontier) {
      for (const n of graph.get(node) ?? []) {
        if (n === from) continue;
        messages++;
        if (reached.has(n)) duplicates++;
        else {
          reached.add(n);
          next.push([n, node]);
        }
      }
    }
    frontier = next;
  }
  return { delivered: reached.size - 1, messages, duplicates };
}

/** A GossipSub-style mesh among `members`: each grafts random peers until it has `d`, a peer accepting up to `dHigh`. */
export function gossipsubMesh(members: readonly string[], random: Random, d = 6, dHigh = 12): Map<string, Set<string>> {
  const mesh = new Map<string, Set<string>>(members.map((m) => [m, new Set<string>()]));
  for (const m of sample(random, members, members.length)) {
    const mine = mesh.get(m) ?? new Set<string>();
    for (const p of sample(random, members, members.length)) {
      if (mine.size >= d) break;
      const theirs = mesh.get(p);
      if (p === m || !theirs || mine.has(p) || theirs.size >= dHigh) continue;
      mine.add(p);
      theirs.add(m);
    }
  }
  return mesh;
}

/** Adds an undirected edge. */
export function link(graph: Map<string, Set<string>>, a: string, b: string): void {
  if (a === b) return;
  let x = graph.get(a);
  if (!x) graph.set(a, (x = new Set()));
  let y = graph.get(b);
  if (!y) graph.set(b, (y = new Set()));
  x.add(b);
  y.add(a);
}
