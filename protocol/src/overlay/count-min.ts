/**
 * A Count-Min sketch (Cormode, Muthukrishnan 2005) of how often each id appeared in a
 * stream: `depth` rows of `width` counters, one hash per row; an id's estimate is the
 * smallest of its counters (never below the true count). Its smallest counter overall
 * estimates the frequency of the rarest ids, which URPS uses as its reference.
 */
import { topicKey, type TopicKey } from './profile.js';

export class CountMinSketch {
  private readonly counters: Float64Array;

  constructor(
    readonly width: number,
    readonly depth: number,
  ) {
    this.counters = new Float64Array(width * depth);
  }

  private cell(key: TopicKey, row: number): number {
    return row * this.width + (((key.h1 + Math.imul(row + 1, key.h2)) >>> 0) % this.width);
  }

  /** Counts one occurrence of `id`; returns its new estimate. */
  add(id: string): number {
    let estimate = Infinity;
    const key = topicKey(id);
    for (let row = 0; row < this.depth; row++) {
      const c = this.cell(key, row);
      this.counters[c] += 1;
      estimate = Math.min(estimate, this.counters[c]);
    }
    return estimate;
  }

  estimate(id: string): number {
    let estimate = Infinity;
    const key = topicKey(id);
    for (let row = 0; row < this.depth; row++) estimate = Math.min(estimate, this.counters[this.cell(key, row)]);
    return estimate;
  }

  /** The smallest counter: an estimate of the least frequent ids' count. */
  smallest(): number {
    let m = Infinity;
    for (const c of this.counters) if (c < m) m = c;
    return m;
  }
}
