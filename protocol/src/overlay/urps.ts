/**
 * URPS, a uniform random peer sampler robust against colluding nodes (Anceaume, Busnel,
 * Sericola: "Uniform node sampling service robust against collusions of malicious
 * nodes", the knowledge-free strategy). It sits in front of CYCLON's stream of ids:
 * colluders that push their own ids make them over-represented in the stream, and
 * hence in CYCLON's view. URPS keeps a sample set Γ of `capacity` ids (much smaller than
 * the population) and a Count-Min sketch of the stream. An id not in Γ enters a full Γ
 * with probability a_j = (the smallest estimated frequency of Γ's members) / (its own
 * estimated frequency), taking
 * the place of a uniformly chosen member: a frequent id is let in proportionally less
 * often, so each id's share of time in Γ, and of the samples drawn from it, is near
 * uniform whatever the stream's bias.
 */
import type { Random } from '../ports/clock.js';
import { CountMinSketch } from './count-min.js';
import type { PeerId } from './descriptor.js';
import { randomIndex } from './random.js';

export interface UrpsOptions {
  /** The sample set's size Γ (default 50). */
  capacity?: number;
  /**
   * Count-Min counters per row (default 1,024): the sketch must tell a colluder's
   * frequency from an honest id's, so it wants more counters than there are ids that
   * matter; its memory (width * depth numbers) stays fixed however long the stream.
   */
  width?: number;
  /** Count-Min rows (default 4). */
  depth?: number;
}

export class UrpsSampler {
  readonly capacity: number;
  private readonly sketch: CountMinSketch;
  private readonly members: PeerId[] = [];
  /** Each member's estimated frequency when last seen in the stream. */
  private readonly estimates = new Map<PeerId, number>();
  /** The smallest of `estimates`, or undefined when it must be recomputed. */
  private smallest: number | undefined;
  private readonly index = new Set<PeerId>();

  constructor(
    private readonly random: Random,
    options: UrpsOptions = {},
  ) {
    this.capacity = options.capacity ?? 50;
    this.sketch = new CountMinSketch(options.width ?? 1024, options.depth ?? 4);
  }

  get size(): number {
    return this.members.length;
  }

  get full(): boolean {
    return this.members.length === this.capacity;
  }

  has(id: PeerId): boolean {
    return this.index.has(id);
  }

  /** The sample set Γ (a copy). */
  sampleSet(): PeerId[] {
    return this.members.slice();
  }

  /** Takes one id of the input stream. */
  offer(id: PeerId): void {
    const frequency = this.sketch.add(id);
    if (this.index.has(id)) {
      this.setEstimate(id, frequency);
      return;
    }
    if (this.members.length < this.capacity) {
      this.members.push(id);
      this.index.add(id);
      this.setEstimate(id, frequency);
      return;
    }
    if (this.random() >= this.smallestEstimate() / frequency) return;
    const i = randomIndex(this.random, this.members.length);
    this.forget(this.members[i]);
    this.members[i] = id;
    this.index.add(id);
    this.setEstimate(id, frequency);
  }

  /** Forgets an id (dead, or dropped for misbehaving). */
  remove(id: PeerId): void {
    if (!this.index.has(id)) return;
    this.forget(id);
    const i = this.members.indexOf(id);
    this.members[i] = this.members[this.members.length - 1];
    this.members.pop();
  }

  private setEstimate(id: PeerId, frequency: number): void {
    const old = this.estimates.get(id);
    this.estimates.set(id, frequency);
    if (this.smallest === undefined) return;
    if (old === this.smallest) this.smallest = undefined;
    else if (frequency < this.smallest) this.smallest = frequency;
  }

  private forget(id: PeerId): void {
    this.index.delete(id);
    if (this.estimates.get(id) === this.smallest) this.smallest = undefined;
    this.estimates.delete(id);
  }

  private smallestEstimate(): number {
    if (this.smallest === undefined) {
      let m = Infinity;
      for (const f of this.estimates.values()) if (f < m) m = f;
      this.smallest = m;
    }
    return this.smallest;
  }

  /** One uniformly chosen member of the sample set, or undefined while it is empty. */
  sample(): PeerId | undefined {
    return this.members.length === 0 ? undefined : this.members[randomIndex(this.random, this.members.length)];
  }
}
