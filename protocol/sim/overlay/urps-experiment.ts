/**
 * URPS against colluders (issue 20): a stream of ids as a CYCLON node receives it when
 * `attackers` colluding ids make up `attackShare` of it and the `honest` ids share the
 * rest uniformly. Plain CYCLON's samples follow the stream (its view is filled from it);
 * URPS's samples are drawn from its sample set. Both are compared with the uniform
 * distribution over all ids by the Kullback-Leibler divergence (nats).
 *
 * KL measured from a finite number of samples is never 0: even a perfectly uniform
 * sampler shows about (ids - 1) / (2 * samples), and URPS's consecutive samples come from
 * a sample set that changes a little at each step, so they count for fewer independent
 * draws. The stream is therefore long (1,000 times the population by default: with 200
 * times, URPS's KL in the mildest attack was this measurement floor, 0.011, not the
 * sampler's bias), and `floorKl` reports what a uniform sampler scores on as many samples.
 */
import { UrpsSampler } from '../../src/overlay/index.js';
import { prng } from '../prng.js';

export interface UrpsExperiment {
  honest: number;
  attackers: number;
  attackShare: number;
  capacity: number;
  /** Stream length (default 1,000 * population). */
  stream?: number;
  seed?: number;
}

export interface UrpsOutcome {
  urpsKl: number;
  cyclonKl: number;
  /** KL of a perfectly uniform sampler over as many samples as URPS gave: the measurement's floor. */
  floorKl: number;
  samples: number;
}

/** KL(observed || uniform over n ids), from counts. */
export function klFromUniform(counts: ReadonlyMap<string, number>, n: number): number {
  let total = 0;
  for (const c of counts.values()) total += c;
  let kl = 0;
  for (const c of counts.values()) if (c > 0) kl += (c / total) * Math.log((c / total) * n);
  return kl;
}

export function runUrpsExperiment(e: UrpsExperiment): UrpsOutcome {
  const random = prng(e.seed ?? 7);
  const n = e.honest + e.attackers;
  const sampler = new UrpsSampler(random, { capacity: e.capacity });
  const urps = new Map<string, number>();
  const cyclon = new Map<string, number>();
  const length = e.stream ?? 1000 * n;
  let samples = 0;
  for (let i = 0; i < length; i++) {
    const id = random() < e.attackShare ? `a${Math.floor(random() * e.attackers)}` : `h${Math.floor(random() * e.honest)}`;
    sampler.offer(id);
    cyclon.set(id, (cyclon.get(id) ?? 0) + 1);
    // Measure once the sampler is full and the stream has run long enough to mix (after a tenth).
    if (i < length / 10 || !sampler.full) continue;
    const s = sampler.sample();
    if (s !== undefined) {
      urps.set(s, (urps.get(s) ?? 0) + 1);
      samples++;
    }
  }
  const uniform = new Map<string, number>();
  for (let i = 0; i < samples; i++) {
    const id = `u${Math.floor(random() * n)}`;
    uniform.set(id, (uniform.get(id) ?? 0) + 1);
  }
  return { urpsKl: klFromUniform(urps, n), cyclonKl: klFromUniform(cyclon, n), floorKl: klFromUniform(uniform, n), samples };
}
