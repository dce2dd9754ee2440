/**
 * A VirtualClock that moves by itself in tests: whenever the process has nothing
 * left to do (every promise continuation has run, at setImmediate), it runs the next
 * timer, jumping virtual time to it. A test then awaits a memory transport's
 * promises as it would a real one's, and a 10-second dial timeout takes no real time.
 *
 * One timer per turn of the event loop, so the continuations of one timer's work
 * run before the next timer, as they would between two real timer events.
 */
import type { Clock } from '../../../protocol/src/ports/clock.js';
import { VirtualClock } from '../../../protocol/sim/virtual-clock.js';

export class DrivenClock implements Clock {
  readonly virtual = new VirtualClock();
  private turnScheduled = false;
  private idleWaiters: Array<() => void> = [];

  now(): number {
    return this.virtual.now();
  }

  after(ms: number, fn: () => void): () => void {
    const cancel = this.virtual.after(ms, fn);
    this.schedule();
    return cancel;
  }

  soon(fn: () => void): void {
    this.after(0, fn);
  }

  /** Resolves once no timer is pending and every promise continuation has run: nothing more happens without new input. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.turnScheduled = false;
    if (this.virtual.runNext()) {
      this.schedule();
      return;
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  };
}
