/**
 * The whole overlay in the round-based simulator, small: rings form, every subscriber
 * gets every event, with far fewer duplicates than flooding, and the same seed gives the
 * same run.
 */
import assert from 'node:assert/strict';
import { runPolderCast } from '../../../protocol/sim/overlay/polder-scenario.js';

describe('overlay: simulator', () => {
  it('200 nodes, 50 rounds: hit ratio >= 99%, duplicates a fifth of flooding\'s at most, bounded degree', () => {
    const r = runPolderCast({ nodes: 200, rounds: 50, seed: 21, events: 100 });
    assert.ok(r.hitRatio >= 0.99, `hit ratio ${r.hitRatio}`);
    assert.ok(r.duplicatesPerDelivery * 5 <= r.flooding.duplicatesPerDelivery, `duplicates ${r.duplicatesPerDelivery} vs flooding ${r.flooding.duplicatesPerDelivery}`);
    assert.ok(r.degree.max <= r.degree.bound, `max degree ${r.degree.max} beyond ${r.degree.bound}`);
    assert.equal(r.banned, 0, 'honest nodes never ban each other');
  });

  it('200 nodes under churn (Weibull sessions, mean 100 rounds): subscribers online >= 10 rounds get >= 98% of events', () => {
    const r = runPolderCast({ nodes: 200, rounds: 50, seed: 22, events: 100, meanSession: 100 });
    assert.ok(r.hitRatio >= 0.98, `hit ratio ${r.hitRatio}`);
    assert.equal(r.banned, 0);
  });

  it('replays: the same seed gives the same figures', () => {
    const a = runPolderCast({ nodes: 120, rounds: 20, seed: 5, events: 30, meanSession: 40 });
    const b = runPolderCast({ nodes: 120, rounds: 20, seed: 5, events: 30, meanSession: 40 });
    assert.deepEqual({ ...a, roundsSeconds: 0 }, { ...b, roundsSeconds: 0 });
  });
});
