/**
 * The overlay simulator's workload: node ids, Zipf-distributed topic popularity and
 * subscription counts, and Skype-like (heavy-tailed, Weibull shape 0.5) session lengths.
 */
import type { Random } from '../../src/ports/clock.js';

/** A random 64-bit id in hex: ring order is uniform over nodes. */
export function randomId(random: Random): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) parts.push(Math.floor(random() * 65536).toString(16).padStart(4, '0'));
  // Joined, not built with `+=`: that made each id a V8 rope (a cons string), which every
  // comparison and lookup of it walked again, as a broker's ids off the wire never are.
  return parts.join('');
}

/** Draws topic ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent. */
export class ZipfTopics {
  private readonly cumulative: Float64Array;

  constructor(
    readonly count: number,
    exponent = 1,
  ) {
    this.cumulative = new Float64Array(count);
    let total = 0;
    for (let r = 0; r < count; r++) {
      total += 1 / Math.pow(r + 1, exponent);
      this.cumulative[r] = total;
    }
    for (let r = 0; r < count; r++) this.cumulative[r] /= total;
  }

  draw(random: Random): number {
    const u = random();
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A node's subscriptions: an exponentially distributed count with mean `mean` (at least 1), topics by popularity. */
  subscriptions(random: Random, mean: number): string[] {
    const n = Math.min(this.count, 1 + Math.floor(-Math.log(1 - random()) * (mean - 1)));
    const out = new Set<string>();
    while (out.size < n) out.add(`t${this.draw(random)}`);
    return [...out];
  }
}

/** A session length in rounds: Weibull with shape 0.5 (heavy-tailed, as measured for Skype) and the given mean. */
export function sessionLength(random: Random, mean: number): number {
  const scale = mean / 2; // the mean of Weibull(k = 0.5) is scale * Γ(3) = 2 * scale
  const l = Math.log(1 - random());
  return Math.max(1, Math.round(scale * l * l));
}

/**
 * The rest of a session already under way when the run starts, as in a network that has
 * been running for a long time: the session seen at a random moment is length-biased
 * (for Weibull shape 0.5, (length / scale)^0.5 is then Gamma(3, 1)), and the moment is
 * uniform within it. Drawing fresh sessions for the first nodes instead would make a
 * third of them leave in the first 20 rounds.
 */
export function residualSessionLength(random: Random, mean: number): number {
  const scale = mean / 2;
  let gamma = 0;
  for (let i = 0; i < 3; i++) gamma -= Math.log(1 - random());
  return Math.max(1, Math.round(random() * scale * gamma * gamma));
}
