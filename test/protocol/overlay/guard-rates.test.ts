/**
 * The guard's rates in real time, with the broker's settings (BROKER_GUARD: token buckets
 * of 20 gossip periods' worth, over the clock in periods): a flooder is banned within a
 * bounded time whatever its phase against any window, and an honest neighbour whose
 * messages come jittered and sometimes in late heaps never is. Seeds are printed on failure.
 */
import assert from 'node:assert/strict';
import { FloodingError, PeerGuard, Profile, topicKey, type OverlayMessage } from '../../../protocol/src/overlay/index.js';
import { BROKER_GUARD } from '../../../protocol/runtime/broker-overlay.js';
import { prng } from '../../../protocol/sim/prng.js';

const profile = Profile.fromTopics([topicKey('t')]);
const shuffle = (from: string): OverlayMessage => ({ kind: 'cyclon-request', descriptors: [{ id: from, age: 0, profile }] });
const answer = (from: string): OverlayMessage => ({ kind: 'vicinity-response', descriptors: [{ id: from, age: 0, profile }] });
const ring = (kind: 'ring-request' | 'ring-response'): OverlayMessage => ({ kind, topic: 't', ids: ['x'], subscribed: true });
/** The old fixed window's limit: 24 a period over 20 periods. */
const OLD_WINDOW = 20;
const OLD_LIMIT = 24 * OLD_WINDOW;

/** Sends `perPeriod` shuffles a period, evenly, from `start` (in periods) until banned; the periods it took, or Infinity. */
function periodsToBan(guard: PeerGuard, perPeriod: number, start: number, horizon: number): number {
  for (let i = 0; i < perPeriod * horizon; i++) {
    const at = start + i / perPeriod;
    if (guard.admit('flooder', shuffle('flooder'), at) instanceof FloodingError) return at - start;
  }
  return Infinity;
}

describe('overlay: the guard in real time (the broker settings)', () => {
  it('bans a flooder sustained at 3 times the honest rate (12 a period, half the old window limit) within 21 periods, whatever its phase', () => {
    const random = prng(11);
    for (let run = 0; run < 20; run++) {
      const start = 1000 + random() * OLD_WINDOW;
      const took = periodsToBan(new PeerGuard(BROKER_GUARD), 12, start, 400);
      assert.ok(took <= 21, `run ${run}, start ${start.toFixed(3)}: banned after ${took} periods`);
    }
  });

  it('bans a flooder just under the old window limit each window (479 in 20 periods) within 8 periods, and at twice the honest rate within 61', () => {
    assert.ok(periodsToBan(new PeerGuard(BROKER_GUARD), (OLD_LIMIT - 1) / OLD_WINDOW, 40.5, 400) <= 8);
    assert.ok(periodsToBan(new PeerGuard(BROKER_GUARD), 8, 40.5, 400) <= 61);
  });

  it('bans a burst split across a window boundary (just under the old limit on each side, within 2 periods)', () => {
    const guard = new PeerGuard(BROKER_GUARD);
    const boundary = 50 * OLD_WINDOW;
    let rejected: ReturnType<PeerGuard['admit']>;
    for (let i = 0; i < OLD_LIMIT - 1 && !rejected; i++) rejected = guard.admit('flooder', shuffle('flooder'), boundary - 1 + i / OLD_LIMIT);
    for (let i = 0; i < OLD_LIMIT - 1 && !rejected; i++) rejected = guard.admit('flooder', shuffle('flooder'), boundary + i / OLD_LIMIT);
    assert.ok(rejected instanceof FloodingError, 'banned');
    assert.ok(guard.isBanned('flooder'));
  });

  it('never bans an honest neighbour over 1,000 periods: jittered timers (3/4 to 5/4 of a period), sometimes 3 periods read at once', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = prng(seed);
      const guard = new PeerGuard(BROKER_GUARD);
      // Arrivals in periods: the neighbour's shuffle, VICINITY request and ring request on
      // each of its ticks; its answers to this node's two requests and ring request on each
      // of this node's (the most it sends any one node: two brokers alone).
      const arrivals: Array<{ at: number; message: OverlayMessage }> = [];
      for (let at = random(); at < 1000; at += 0.75 + 0.5 * random()) arrivals.push({ at, message: shuffle('honest') }, { at, message: answer('honest') }, { at, message: ring('ring-request') });
      for (let at = random(); at < 1000; at += 0.75 + 0.5 * random()) arrivals.push({ at, message: answer('honest') }, { at, message: answer('honest') }, { at, message: ring('ring-response') });
      // A late timer or a busy event loop: once in 20 periods, what arrives in the next 3 is read at their end.
      const stalls: number[] = [];
      for (let p = 0; p < 1000; p++) if (random() < 0.05) stalls.push(p);
      const readAt = (at: number): number => {
        const stall = stalls.find((s) => at >= s && at < s + 3);
        return stall === undefined ? at : stall + 3;
      };
      const reads = arrivals.map((a) => ({ at: readAt(a.at), message: a.message })).sort((x, y) => x.at - y.at);
      for (const r of reads) {
        const rejected = guard.admit('honest', r.message, r.at);
        assert.equal(rejected, undefined, `seed ${seed}: banned at ${r.at.toFixed(2)} periods: ${String(rejected)}`);
      }
      assert.ok(reads.length > 5000, `seed ${seed}: ${reads.length} messages`);
    }
  });
});
