/**
 * A deterministic discrete-event simulation: one virtual clock, one seeded random
 * stream, one in-memory network, and the whole nodes on them (sim-peer.ts,
 * sim-broker.ts: the same PeerRuntime and BrokerServer that run over libp2p).
 *
 * The loop runs one due timer at a time and lets every promise continuation finish
 * (one turn of the event loop, at setImmediate) before the next, so the order of
 * everything is a function of the seed: same seed, same run, bit for bit. Nothing
 * here or in the nodes reads the wall clock, the platform's randomness or a real
 * socket or disk.
 */
import type { RandomSource } from '../src/crypto/index.js';
import type { Random } from '../src/ports/clock.js';
import { MemoryNetwork, type MemoryTransport } from './memory-network.js';
import { prng } from './prng.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimulationInit {
  readonly seed: number;
  /** One-way link delay in ms: a base per link drawn once in [min, max), plus jitter up to `jitterMs` per packet. */
  readonly latencyMs?: { readonly min: number; readonly max: number; readonly jitterMs: number };
}

export class Simulation {
  readonly seed: number;
  readonly clock = new VirtualClock();
  readonly random: Random;
  readonly network: MemoryNetwork;
  /** Timers run so far (each a message delivered, a timeout, an fsync done, ...). */
  events = 0;
  private readonly linkBase = new Map<string, number>();

  constructor(init: SimulationInit) {
    this.seed = init.seed;
    this.random = prng(init.seed);
    const latency = init.latencyMs ?? { min: 1, max: 40, jitterMs: 5 };
    this.network = new MemoryNetwork({
      clock: this.clock,
      latency: (from, to) => this.baseLatency(from, to, latency.min, latency.max) + this.random() * latency.jitterMs,
    });
  }

  /** A new independent random stream, seeded from the simulation's. */
  stream(): Random {
    return prng(Math.floor(this.random() * 2 ** 32));
  }

  /** Bytes for keys and nonces, from a seeded stream: deterministic, so never for real use. */
  randomSource(): RandomSource {
    const next = this.stream();
    return (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    };
  }

  /** A number in [min, max) from the simulation's stream. */
  between(min: number, max: number): number {
    return min + this.random() * (max - min);
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.below(items.length)]!;
  }

  /** Runs every event due within the next `ms` of virtual time, then moves the clock to its end. */
  async runFor(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await turn();
      const next = this.clock.nextDue();
      if (next === undefined || next > end) break;
      this.clock.runNext();
      this.events++;
    }
    this.clock.advance(end - this.clock.now());
    await turn();
  }

  /**
   * Runs the simulation until `work` settles (a node's start, a store's open: they wait
   * for simulated disks and links), and returns its result.
   */
  async complete<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => (settled = true));
    watched.catch(() => undefined);
    for (;;) {
      await turn();
      if (settled) return watched;
      if (!this.clock.runNext()) {
        await turn();
        if (settled) return watched;
        throw new Error('the simulation has nothing left to run, and the work it waits for has not finished');
      }
      this.events++;
    }
  }

  /** Runs in steps of `stepMs` until `done()` or `limitMs` have passed; true if done. */
  async runUntil(done: () => boolean, limitMs: number, stepMs = 250): Promise<boolean> {
    const end = this.clock.now() + limitMs;
    while (!done()) {
      if (this.clock.now() >= end) return false;
      await this.runFor(Math.min(stepMs, end - this.clock.now()));
    }
    return true;
  }

  private baseLatency(from: MemoryTransport, to: MemoryTransport, min: number, max: number): number {
    const key = from.name < to.name ? `${from.name}/${to.name}` : `${to.name}/${from.name}`;
    let base = this.linkBase.get(key);
    if (base === undefined) {
      base = this.between(min, max);
      this.linkBase.set(key, base);
    }
    return base;
  }
}

/** One turn of the event loop: every promise continuation queued so far has run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
