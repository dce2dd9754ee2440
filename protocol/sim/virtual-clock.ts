/**
 * Virtual time for simulations and tests: a Clock whose time moves only when the
 * owner says so. Callbacks run in time order, ties in the order they were
 * scheduled, so a run is the same every time whatever the machine's speed.
 *
 * The clock runs callbacks synchronously and never yields to the event loop:
 * whoever drives it (a simulator's loop, a test's driver) decides when promise
 * continuations get their turn between callbacks.
 */
import type { Clock } from '../src/ports/clock.js';

interface Timer {
  readonly at: number;
  /** Scheduling order: breaks ties between timers due at the same time. */
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** 2023-11-14T22:13:20Z: a plausible wall-clock time, so code that prints dates stays sane. */
export const VIRTUAL_EPOCH_MS = 1_700_000_000_000;

export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  /** A binary min-heap on (at, seq): simulations keep many timers. */
  private readonly heap: Timer[] = [];
  private live = 0;

  constructor(startMs: number = VIRTUAL_EPOCH_MS) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  /** `background` means nothing here: virtual timers keep no process alive. */
  after(ms: number, fn: () => void): () => void {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { at: this.time + delay, seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    this.live++;
    return () => {
      if (timer.cancelled) return;
      timer.cancelled = true;
      this.live--;
    };
  }

  /** At the current time, after the timers already due now: the driver runs promise continuations before each callback. */
  soon(fn: () => void): void {
    this.after(0, fn);
  }

  /** Timers scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.live;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /**
   * Runs the next due timer, moving time to its due time. Returns false when no
   * timer is pending.
   */
  runNext(): boolean {
    this.dropCancelled();
    const timer = this.pop();
    if (timer === undefined) return false;
    this.live--;
    timer.cancelled = true;
    this.time = timer.at;
    timer.fn();
    return true;
  }

  /** Moves time forward by `ms`, running every timer due by then (including ones they schedule). */
  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (let due = this.nextDue(); due !== undefined && due <= target; due = this.nextDue()) this.runNext();
    this.time = target;
  }

  /**
   * Runs timers until none is pending. A timer that always schedules another
   * (a periodic task) would never let this end, so it gives up after `limit` runs.
   */
  runUntilIdle(limit = 1_000_000): void {
    for (let runs = 0; this.nextDue() !== undefined; runs++) {
      if (runs >= limit) throw new Error(`VirtualClock.runUntilIdle: still busy after ${limit} timers (a periodic timer?)`);
      this.runNext();
    }
  }

  // ---- the heap ----

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private static before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!VirtualClock.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && VirtualClock.before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && VirtualClock.before(heap[right]!, heap[least]!)) least = right;
      if (least === i) return top;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}
