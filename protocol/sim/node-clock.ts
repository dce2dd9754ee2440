/**
 * One simulated node's view of the simulation's virtual clock: its own skew (a node's
 * wall clock is never exactly right), and timers that die with the node, as a killed
 * process's timers do.
 */
import type { Clock } from '../src/ports/clock.js';
import type { VirtualClock } from './virtual-clock.js';

export class NodeClock implements Clock {
  private readonly cancels = new Set<() => void>();
  private halted = false;

  constructor(
    private readonly clock: VirtualClock,
    /** Added to the simulation's time in now(); timers are unaffected (they measure durations). */
    readonly skewMs: number,
  ) {}

  /** Whole milliseconds, as Date.now (link delays make the simulation's time fractional). */
  now(): number {
    return Math.floor(this.clock.now()) + this.skewMs;
  }

  after(ms: number, fn: () => void): () => void {
    if (this.halted) return () => {};
    const cancel = this.clock.after(ms, () => {
      this.cancels.delete(cancel);
      if (!this.halted) fn();
    });
    this.cancels.add(cancel);
    return () => {
      this.cancels.delete(cancel);
      cancel();
    };
  }

  soon(fn: () => void): void {
    this.after(0, fn);
  }

  /** The node died: none of its timers runs again, and new ones are never set. */
  halt(): void {
    this.halted = true;
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }
}
