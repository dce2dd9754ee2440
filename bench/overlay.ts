/**
 * `npm run bench -- overlay`: the overlay in the round-based simulator (issue 20,
 * docs/OVERLAY.md). PolderCast at WEFT_OVERLAY_SIZES nodes (default 1000,5000,10000)
 * without churn and at the largest size with churn, beside plain flooding and a
 * GossipSub-style mesh on the same events; the CYCLON graph at the largest size; URPS
 * under attack beside plain CYCLON; BLIP's similarity estimates. While developing, run
 * e.g. WEFT_OVERLAY_SIZES=1000 (then the `overlay.*` figures are at 1,000 nodes and say so).
 */
import { runBlipExperiment, runPolderCast, runUrpsExperiment, type Overlap, type PolderCastResult } from '../protocol/sim/index.js';
import { record } from './report.js';

const ROUNDS = Number(process.env.WEFT_OVERLAY_ROUNDS ?? 100);

function describe(label: string, r: PolderCastResult): void {
  const pct = (x: number) => `${(100 * x).toFixed(3)}%`;
  console.log(
    `  ${label}: ${r.nodes} nodes, ${r.rounds} rounds in ${r.roundsSeconds.toFixed(1)} s; hit ratio ${pct(r.hitRatio)} (all online ${pct(r.hitRatioAllOnline)}); ` +
      `duplicates/delivery ${r.duplicatesPerDelivery.toFixed(3)} (flooding ${r.flooding.duplicatesPerDelivery.toFixed(2)}, GossipSub D=6 ${r.gossipsub.duplicatesPerDelivery.toFixed(2)}); ` +
      `degree mean ${r.degree.mean.toFixed(1)} max ${r.degree.max} (bound ${r.degree.bound}); hops mean ${r.hops.mean.toFixed(2)} p99 ${r.hops.p99} max ${r.hops.max}`,
  );
}

export async function run(): Promise<void> {
  const sizes = (process.env.WEFT_OVERLAY_SIZES ?? '1000,5000,10000').split(',').map(Number);
  const largest = Math.max(...sizes);
  let main: PolderCastResult | undefined;
  for (const nodes of sizes) {
    const r = runPolderCast({ nodes, rounds: ROUNDS, seed: nodes, cyclonGraph: nodes === largest });
    describe('PolderCast, no churn', r);
    if (nodes === largest) main = r;
  }
  if (!main) return;
  const input = `${largest} nodes, ${ROUNDS} rounds, Zipf subscriptions (mean 10, ${Math.max(50, Math.round(largest / 10))} topics), 200 events on uniformly chosen topics`;
  record({ figure: 'overlay.hit_ratio', weft: main.hitRatio, unit: 'ratio', input, note: 'goal 1.0' });
  record({ figure: 'overlay.duplicates_per_delivery', weft: main.duplicatesPerDelivery, unit: 'messages', baseline: 'flooding', baseline_value: main.flooding.duplicatesPerDelivery, input, note: 'goal <= 1/5 of flooding (flooding over the overlay links among subscribers)' });
  record({ figure: 'overlay.duplicates_vs_gossipsub', weft: main.duplicatesPerDelivery, unit: 'messages', baseline: 'gossipsub', baseline_value: main.gossipsub.duplicatesPerDelivery, input, note: 'per-topic mesh D=6 (D_hi 12), eager push only' });
  record({ figure: 'overlay.max_degree', weft: main.degree.max, unit: 'nodes', input, note: `bound: CYCLON view + VICINITY view + topics x (2 x 2 ring slots + 4 shortcuts) = ${main.degree.bound} here; mean ${main.degree.mean.toFixed(1)}` });
  record({ figure: 'overlay.hops_p99', weft: main.hops.p99, unit: 'hops', input, note: `mean ${main.hops.mean.toFixed(2)}` });
  record({ figure: 'overlay.sim_10k_s', weft: Math.round(main.roundsSeconds), unit: 's', input: `${largest} nodes, ${ROUNDS} rounds`, note: 'goal < 600 s for 10,000 nodes and 100 rounds' });
  const c = main.cyclon;
  if (c) {
    console.log(`  CYCLON (view 20, shuffle 8) at ${largest} nodes: in-degree mean ${c.indegreeMean.toFixed(1)} sd ${c.indegreeSd.toFixed(2)}; clustering ${c.clustering.toFixed(4)}; path length ${c.pathLength.toFixed(2)}; largest component after killing 50%: ${c.lccAfterKill50.toFixed(4)}, 90%: ${c.lccAfterKill90.toFixed(4)}`);
    record({ figure: 'overlay.cyclon_indegree_sd', weft: c.indegreeSd, unit: 'links', input: `${largest} nodes, view 20, shuffle 8, ${ROUNDS} rounds` });
    record({ figure: 'overlay.cyclon_lcc_after_kill90', weft: c.lccAfterKill90, unit: 'ratio', input: `${largest} nodes, 90% killed at once, no repair` });
  }

  let worst: { urps: number; cyclon: number; floor: number; label: string } | undefined;
  for (const capacity of [50, 100]) {
    for (const attackers of [10, 100]) {
      for (const share of [0.2, 0.5]) {
        const r = runUrpsExperiment({ honest: 1000, attackers, attackShare: share, capacity });
        const label = `sample set ${capacity}, ${attackers} attacker ids at ${share * 100}% of the stream`;
        console.log(`  URPS, 1,000 nodes, ${label}: KL ${r.urpsKl.toFixed(4)} vs plain CYCLON ${r.cyclonKl.toFixed(4)} (${(r.cyclonKl / r.urpsKl).toFixed(1)}x); a uniform sampler on as many samples: ${r.floorKl.toFixed(4)}`);
        if (!worst || r.cyclonKl / r.urpsKl < worst.cyclon / worst.urps) worst = { urps: r.urpsKl, cyclon: r.cyclonKl, floor: r.floorKl, label };
      }
    }
  }
  if (worst) record({ figure: 'overlay.urps_kl', weft: worst.urps, unit: 'nats', baseline: 'cyclon', baseline_value: worst.cyclon, input: `1,000 honest nodes, a stream 1,000 times the population; the least favourable of 8 setups: ${worst.label}`, note: `goal: 10x below CYCLON; a uniform sampler on as many samples scores ${worst.floor.toFixed(4)}` });

  for (const epsilon of [1, 5, 10]) {
    const parts = (['identical', 'half', 'disjoint'] as Overlap[]).map((o) => {
      const r = runBlipExperiment(o, epsilon);
      return `${o} ${r.estimate.toFixed(3)} (exact ${r.exact.toFixed(3)}, naive ${r.naive.toFixed(3)})`;
    });
    console.log(`  BLIP epsilon ${epsilon}, 20 topics each, mean of 200: ${parts.join('; ')}`);
  }

  // The churn run last: the figures above are recorded even if it is cut short.
  const churn = runPolderCast({ nodes: largest, rounds: ROUNDS, seed: largest + 1, meanSession: 200 });
  describe('PolderCast, churn (Weibull k=0.5 sessions, mean 200 rounds)', churn);
  record({ figure: 'overlay.hit_ratio_churn', weft: churn.hitRatio, unit: 'ratio', input: `${input}; churn: Weibull(0.5) sessions, mean 200 rounds; events over the last 20 rounds; receivers online >= 10 rounds`, note: `goal >= 0.999; all online subscribers: ${churn.hitRatioAllOnline.toFixed(4)}` });
}
