/**
 * A Count-Min sketch (Cormode, Muthukrishnan 2005) of how often each id appeared in a
 * stream: `depth` rows of `width` counters, one hash per row; an id's estimate is the
 * smallest of its counters (never below the true count).
 */
import { topicKey, type TopicKey } from './profile.js';

export class CountMinSketch {
  private readonly counters: Uint32Array;

  constructor(
    readonly width: number,
    readonly depth: number,
  ) {
    this.counters = new Uint32Array(width * depth);
  }

  private cell(key: TopicKey, row: number): number {
    return row * this.width + (((key.h1 + Math.imul(row + 1, key.h2)) >>> 0) % this.width);
  }

  /**
   * Counts one occurrence of `id` with the conservative update (only the counters at the
   * id's current estimate grow, which keeps collisions from inflating rare ids); returns
   * its new estimate.
   */
  add(id: string): number {
    const key = topicKey(id);
    let estimate = Infinity;
    for (let row = 0; row < this.depth; row++) estimate = Math.min(estimate, this.counters[this.cell(key, row)]);
    for (let row = 0; row < this.depth; row++) {
      const c = this.cell(key, row);
      if (this.counters[c] === estimate) this.counters[c] = estimate + 1;
    }
    return estimate + 1;
  }

  estimate(id: string): number {
    let estimate = Infinity;
    const key = topicKey(id);
    for (let row = 0; row < this.depth; row++) estimate = Math.min(estimate, this.counters[this.cell(key, row)]);
    return estimate;
  }
}
