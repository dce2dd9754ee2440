/** VirtualClock (protocol/sim/), the time the memory network runs on. */
import assert from 'node:assert/strict';
import { every } from '../../../protocol/src/ports/clock.js';
import { VIRTUAL_EPOCH_MS, VirtualClock } from '../../../protocol/sim/virtual-clock.js';

describe('VirtualClock', () => {
  it('runs callbacks in time order, ties in the order they were scheduled, each at its own time', () => {
    const clock = new VirtualClock();
    assert.equal(clock.now(), VIRTUAL_EPOCH_MS);
    const ran: string[] = [];
    const at = (label: string) => () => ran.push(`${label}@${clock.now() - VIRTUAL_EPOCH_MS}`);
    clock.after(5, at('c'));
    clock.after(1, at('a'));
    clock.after(5, at('d'));
    clock.after(0, at('zero'));
    clock.after(-3, at('negative'));
    clock.after(1, () => {
      at('b')();
      clock.after(0, at('b-then')); // scheduled by a callback: after the others due now
    });
    assert.equal(clock.pending, 6);
    clock.runUntilIdle();
    assert.deepEqual(ran, ['zero@0', 'negative@0', 'a@1', 'b@1', 'b-then@1', 'c@5', 'd@5']);
    assert.equal(clock.pending, 0);
    assert.equal(clock.runNext(), false);
  });

  it('advance() runs what falls due by then, including what those callbacks schedule, and ends at the target time', () => {
    const clock = new VirtualClock(0);
    const ran: number[] = [];
    clock.after(10, () => {
      ran.push(clock.now());
      clock.after(5, () => ran.push(clock.now()));
      clock.after(50, () => ran.push(clock.now()));
    });
    clock.after(30, () => ran.push(clock.now()));
    clock.advance(20);
    assert.deepEqual(ran, [10, 15]);
    assert.equal(clock.now(), 20);
    assert.equal(clock.nextDue(), 30);
    clock.advance(100);
    assert.deepEqual(ran, [10, 15, 30, 60]);
    assert.equal(clock.now(), 120);
  });

  it('a cancelled callback never runs and is not pending', () => {
    const clock = new VirtualClock(0);
    let ran = false;
    const cancel = clock.after(1, () => (ran = true));
    cancel();
    cancel();
    assert.equal(clock.pending, 0);
    assert.equal(clock.nextDue(), undefined);
    clock.runUntilIdle();
    assert.equal(ran, false);
    assert.equal(clock.now(), 0, 'time does not move for a cancelled timer');
  });

  it('runUntilIdle() refuses to run a periodic timer forever', () => {
    const clock = new VirtualClock(0);
    let ticks = 0;
    const stop = every(clock, 1000, () => ticks++);
    assert.throws(() => clock.runUntilIdle(50), /still busy after 50 timers/);
    assert.equal(ticks, 50);
    stop();
    clock.runUntilIdle();
    assert.equal(clock.pending, 0);
  });

  it('keeps order across many timers (the heap)', () => {
    const clock = new VirtualClock(0);
    const ran: number[] = [];
    // a scrambled but deterministic schedule: due times 0..99, several per time
    for (let i = 0; i < 1000; i++) {
      const due = (i * 37) % 100;
      clock.after(due, () => ran.push(due * 10_000 + i));
    }
    clock.runUntilIdle();
    assert.equal(ran.length, 1000);
    assert.deepEqual(ran, [...ran].sort((x, y) => x - y), 'by time, then by scheduling order');
  });
});
