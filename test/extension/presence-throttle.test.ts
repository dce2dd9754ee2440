/** The ~50 ms trailing throttle of presence sends and re-renders, on a hand-driven clock. */
import assert from 'node:assert/strict';
import { TrailingThrottle, type ThrottleTimers } from '../../extension/presence/trailing-throttle.js';

class FakeTimers implements ThrottleTimers {
  now = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
  get count(): number {
    return this.timers.size;
  }
}

describe('extension/presence: trailing throttle', () => {
  it('a burst of triggers runs once, delay after the first, reading the latest state', () => {
    const t = new FakeTimers();
    let state = 0;
    const seen: Array<[number, number]> = [];
    const th = new TrailingThrottle(50, () => seen.push([t.now, state]), t);
    for (let i = 1; i <= 10; i++) {
      state = i;
      th.trigger();
      t.advance(3);
    }
    assert.deepEqual(seen, []);
    t.advance(50);
    assert.deepEqual(seen, [[50, 10]]);
    assert.equal(t.count, 0);
  });

  it('continuous triggers run at most every delay, and always once after the last', () => {
    const t = new FakeTimers();
    const runs: number[] = [];
    const th = new TrailingThrottle(50, () => runs.push(t.now), t);
    for (let ms = 0; ms < 200; ms += 10) {
      th.trigger();
      t.advance(10);
    }
    t.advance(100);
    // The last trigger (at 190) is served by the run at 200.
    assert.deepEqual(runs, [50, 100, 150, 200]);
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i]! - runs[i - 1]! >= 50);
  });

  it('flush runs a pending run now; dispose cancels it', () => {
    const t = new FakeTimers();
    let runs = 0;
    const th = new TrailingThrottle(50, () => runs++, t);
    th.flush();
    assert.equal(runs, 0, 'nothing pending, nothing run');
    th.trigger();
    assert.equal(th.pending, true);
    th.flush();
    assert.equal(runs, 1);
    t.advance(100);
    assert.equal(runs, 1, 'the flushed timer does not run again');
    th.trigger();
    th.dispose();
    t.advance(100);
    assert.equal(runs, 1);
    th.trigger();
    t.advance(100);
    assert.equal(runs, 1, 'disposed: triggers are ignored');
  });

  it('a trigger from inside the run schedules the next run', () => {
    const t = new FakeTimers();
    const runs: number[] = [];
    const th = new TrailingThrottle(
      50,
      () => {
        runs.push(t.now);
        if (runs.length < 3) th.trigger();
      },
      t,
    );
    th.trigger();
    t.advance(500);
    assert.deepEqual(runs, [50, 100, 150]);
  });
});
