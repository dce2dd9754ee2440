/**
 * The PolderCast run of the overlay benchmark (issue 20): N nodes with Zipf
 * subscriptions gossip for R rounds, then events are published on random topics (every
 * topic alike, rare ones included) from random subscribers, and each is followed to see
 * which subscribers it reached, with how many duplicates and hops; the same events go
 * over plain flooding on the overlay's links and over a GossipSub-style mesh (D = 6).
 * With churn, nodes leave and join all along (Skype-like sessions) and events are
 * published during the last rounds.
 */
import { prng } from '../prng.js';
import { flood, gossipsubMesh, link, type FloodResult } from './baselines.js';
import { averagePathLength, clusteringCoefficient, indegreeStats, largestComponentShare, type Views } from './graph-metrics.js';
import { OverlayNetwork, type Dissemination } from './overlay-network.js';
import type { OverlayNode } from '../../src/overlay/index.js';

export interface PolderCastOptions {
  nodes: number;
  rounds?: number;
  seed?: number;
  /** Events published (default 200). */
  events?: number;
  /** Mean session length in rounds (undefined: no churn). */
  meanSession?: number;
  /** With churn, only subscribers online this many rounds count as expected receivers (default 10). */
  settleRounds?: number;
  meanTopics?: number;
  /** Also measure the CYCLON graph (default false). */
  cyclonGraph?: boolean;
  /** Called after each round (progress). */
  onRound?: (round: number) => void;
}

export interface PolderCastResult {
  nodes: number;
  rounds: number;
  /** Wall-clock seconds of the gossip rounds alone. */
  roundsSeconds: number;
  hitRatio: number;
  /** With churn: counting every online subscriber, newcomers included. */
  hitRatioAllOnline: number;
  duplicatesPerDelivery: number;
  flooding: { hitRatio: number; duplicatesPerDelivery: number };
  gossipsub: { hitRatio: number; duplicatesPerDelivery: number; maxDegree: number };
  degree: { mean: number; max: number; bound: number };
  hops: { mean: number; p99: number; max: number };
  cyclon?: { indegreeSd: number; indegreeMean: number; clustering: number; pathLength: number; lccAfterKill50: number; lccAfterKill90: number };
  banned: number;
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

export function runPolderCast(o: PolderCastOptions): PolderCastResult {
  const random = prng(o.seed ?? 1);
  const rounds = o.rounds ?? 100;
  const net = new OverlayNetwork(random, { nodes: o.nodes, meanSession: o.meanSession, meanTopics: o.meanTopics });
  const events = o.events ?? 200;
  const churn = o.meanSession !== undefined;
  // Without churn all events go after the last round; with churn, spread over the last 20 rounds.
  const publishFrom = churn ? rounds - 20 : rounds;
  const totals = { ring: empty(), allOnline: empty(), flood: empty(), gossipsub: empty() };
  let gossipsubMax = 0;
  let eventNo = 0;
  let roundsMs = 0;
  const publish = (count: number) => {
    const all = [...net.nodes.values()];
    const settled = new Set(churn ? net.settled(o.settleRounds ?? 10).map((n) => n.id) : all.map((n) => n.id));
    const byTopic = subscribersByTopic(all);
    const topics = [...byTopic.keys()].filter((t) => (byTopic.get(t)?.length ?? 0) >= 2);
    for (let i = 0; i < count; i++) {
      const topic = topics[Math.floor(random() * topics.length)];
      const members = byTopic.get(topic) ?? [];
      const candidates = members.filter((n) => settled.has(n.id));
      const publisher = (candidates.length > 0 ? candidates : members)[Math.floor(random() * (candidates.length || members.length))];
      const others = members.filter((n) => n !== publisher);
      const d = net.disseminate(publisher, topic, `e${eventNo++}`, others.filter((n) => settled.has(n.id)));
      add(totals.ring, d);
      add(totals.allOnline, { ...d, delivered: d.hops.length, expected: others.length });
      const f = flood(overlayLinks(net, members), publisher.id);
      add(totals.flood, asDissemination(f, others.length));
      const mesh = gossipsubMesh(
        members.map((n) => n.id),
        random,
      );
      for (const m of mesh.values()) gossipsubMax = Math.max(gossipsubMax, m.size);
      add(totals.gossipsub, asDissemination(flood(mesh, publisher.id), others.length));
    }
  };
  for (let r = 1; r <= rounds; r++) {
    const t = performance.now();
    net.step();
    roundsMs += performance.now() - t;
    if (churn && r > publishFrom) publish(Math.ceil(events / 20));
    o.onRound?.(r);
  }
  if (!churn) publish(events);
  const nodes = [...net.nodes.values()];
  const degrees = nodes.map((n) => n.degree());
  const node0 = nodes[0];
  const maxTopics = Math.max(...nodes.map((n) => n.topics.size));
  const bound = node0 ? node0.cyclon.viewSize + node0.vicinity.viewSize + maxTopics * (2 * 2 + 4) : 0;
  const result: PolderCastResult = {
    nodes: o.nodes,
    rounds,
    roundsSeconds: roundsMs / 1000,
    hitRatio: ratio(totals.ring.delivered, totals.ring.expected),
    hitRatioAllOnline: ratio(totals.allOnline.delivered, totals.allOnline.expected),
    duplicatesPerDelivery: ratio(totals.ring.duplicates, totals.ring.hops.length),
    flooding: { hitRatio: ratio(totals.flood.delivered, totals.flood.expected), duplicatesPerDelivery: ratio(totals.flood.duplicates, totals.flood.delivered) },
    gossipsub: { hitRatio: ratio(totals.gossipsub.delivered, totals.gossipsub.expected), duplicatesPerDelivery: ratio(totals.gossipsub.duplicates, totals.gossipsub.delivered), maxDegree: gossipsubMax },
    degree: { mean: degrees.reduce((a, b) => a + b, 0) / degrees.length, max: Math.max(...degrees), bound },
    hops: { mean: totals.ring.hops.reduce((a, b) => a + b, 0) / Math.max(1, totals.ring.hops.length), p99: percentile(totals.ring.hops, 0.99), max: Math.max(0, ...totals.ring.hops) },
    banned: nodes.reduce((a, n) => a + n.guard.bannedCount(), 0),
  };
  if (o.cyclonGraph) {
    const views: Views = new Map(nodes.map((n) => [n.id, n.cyclon.peers().map((d) => d.id)]));
    const stats = indegreeStats(views);
    const ids = [...views.keys()];
    const killed = (share: number) => new Set(ids.filter(() => random() < share));
    result.cyclon = {
      indegreeSd: stats.sd,
      indegreeMean: stats.mean,
      clustering: clusteringCoefficient(views, random),
      pathLength: averagePathLength(views, random),
      lccAfterKill50: largestComponentShare(views, killed(0.5)),
      lccAfterKill90: largestComponentShare(views, killed(0.9)),
    };
  }
  return result;
}

function empty(): Dissemination {
  return { delivered: 0, expected: 0, messages: 0, duplicates: 0, hops: [], missed: [] };
}

function add(total: Dissemination, d: Dissemination): void {
  total.delivered += d.delivered;
  total.expected += d.expected;
  total.messages += d.messages;
  total.duplicates += d.duplicates;
  for (const h of d.hops) total.hops.push(h);
}

function asDissemination(f: FloodResult, expected: number): Dissemination {
  return { delivered: f.delivered, expected, messages: f.messages, duplicates: f.duplicates, hops: [], missed: [] };
}

function subscribersByTopic(nodes: readonly OverlayNode[]): Map<string, OverlayNode[]> {
  const out = new Map<string, OverlayNode[]>();
  for (const n of nodes) {
    for (const t of n.topics) {
      let list = out.get(t);
      if (!list) out.set(t, (list = []));
      list.push(n);
    }
  }
  return out;
}

/** The overlay's links among a topic's subscribers (CYCLON, VICINITY, rings), undirected: what plain flooding uses. */
function overlayLinks(net: OverlayNetwork, members: readonly OverlayNode[]): Map<string, Set<string>> {
  const ids = new Set(members.map((n) => n.id));
  const g = new Map<string, Set<string>>(members.map((n) => [n.id, new Set<string>()]));
  for (const n of members) {
    const ns = n.rings.neighbours();
    for (const d of [...n.cyclon.peers(), ...n.vicinity.peers()]) ns.add(d.id);
    for (const m of ns) if (ids.has(m) && net.nodes.has(m)) link(g, n.id, m);
  }
  return g;
}
