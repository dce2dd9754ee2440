/**
 * Sampling helpers over the injected random source (`Random`, protocol/src/ports/clock.ts):
 * the overlay never reads Math.random, so a seeded run replays bit for bit.
 */
import type { Random } from '../ports/clock.js';

/** An integer in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Up to `k` distinct items of `items`, uniformly chosen (a partial Fisher-Yates on a copy). */
export function sample<T>(random: Random, items: readonly T[], k: number): T[] {
  const pool = items.slice();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + randomIndex(random, pool.length - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  pool.length = n;
  return pool;
}

/** True with probability `p`. */
export function chance(random: Random, p: number): boolean {
  return random() < p;
}
