/** The real clock: Date.now and Node's timers, the Clock that bin/ and the extension run on. */
import type { Clock } from '../src/ports/clock.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn, background) {
    // Node's timers hold at most 2^31 - 1 ms; a longer wait is never due in practice.
    if (ms > 0x7fffffff) return () => {};
    const timer = setTimeout(fn, Math.max(0, ms));
    if (background) timer.unref();
    return () => clearTimeout(timer);
  },
  soon(fn) {
    setImmediate(fn);
  },
};

/** Math.random: jitter only (keys come from protocol/src/crypto/). */
export const systemRandom = (): number => Math.random();
