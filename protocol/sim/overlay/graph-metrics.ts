/**
 * Measures of the CYCLON overlay as a graph (the CYCLON paper's): in-degree spread,
 * clustering coefficient, average path length, and the largest connected component of
 * the survivors when nodes die at once (before any repair).
 */
import type { Random } from '../../src/ports/clock.js';
import { sample } from '../../src/overlay/random.js';

/** Directed out-links: id -> ids in its view. */
export type Views = ReadonlyMap<string, readonly string[]>;

export function indegreeStats(views: Views): { mean: number; sd: number; max: number } {
  const indegree = new Map<string, number>([...views.keys()].map((id) => [id, 0]));
  for (const out of views.values()) for (const id of out) if (indegree.has(id)) indegree.set(id, (indegree.get(id) ?? 0) + 1);
  const xs = [...indegree.values()];
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, sd, max: Math.max(...xs) };
}

function undirected(views: Views): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>([...views.keys()].map((id) => [id, new Set<string>()]));
  for (const [id, out] of views) {
    for (const n of out) {
      const other = g.get(n);
      if (!other || n === id) continue;
      g.get(id)?.add(n);
      other.add(id);
    }
  }
  return g;
}

/** The mean local clustering coefficient over `samples` random nodes of the undirected graph. */
export function clusteringCoefficient(views: Views, random: Random, samples = 500): number {
  const g = undirected(views);
  let total = 0;
  const nodes = sample(random, [...g.keys()], samples);
  for (const id of nodes) {
    const ns = [...(g.get(id) ?? [])];
    if (ns.length < 2) continue;
    let links = 0;
    for (let i = 0; i < ns.length; i++) for (let j = i + 1; j < ns.length; j++) if (g.get(ns[i])?.has(ns[j])) links++;
    total += (2 * links) / (ns.length * (ns.length - 1));
  }
  return total / nodes.length;
}

/** The mean shortest path (hops, undirected) from `sources` random nodes to every node they reach. */
export function averagePathLength(views: Views, random: Random, sources = 20): number {
  const g = undirected(views);
  let sum = 0;
  let count = 0;
  for (const s of sample(random, [...g.keys()], sources)) {
    const dist = new Map<string, number>([[s, 0]]);
    let frontier = [s];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const u of frontier) {
        const d = dist.get(u) ?? 0;
        for (const v of g.get(u) ?? []) {
          if (dist.has(v)) continue;
          dist.set(v, d + 1);
          sum += d + 1;
          count++;
          next.push(v);
        }
      }
      frontier = next;
    }
  }
  return count === 0 ? 0 : sum / count;
}

/** The largest connected component's share of the survivors, after removing `dead`. */
export function largestComponentShare(views: Views, dead: ReadonlySet<string>): number {
  const alive = new Map<string, string[]>();
  for (const [id, out] of views) if (!dead.has(id)) alive.set(id, out.filter((n) => !dead.has(n)));
  const g = undirected(alive);
  const seen = new Set<string>();
  let largest = 0;
  for (const start of g.keys()) {
    if (seen.has(start)) continue;
    let size = 0;
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const u = stack.pop() as string;
      size++;
      for (const v of g.get(u) ?? []) {
        if (seen.has(v)) continue;
        seen.add(v);
        stack.push(v);
      }
    }
    largest = Math.max(largest, size);
  }
  return alive.size === 0 ? 0 : largest / alive.size;
}
