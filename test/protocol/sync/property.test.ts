import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runSyncToCompletion, type SyncSessionInit } from '../../../protocol/src/sync/index.js';
import { diverged, sameSet } from './fake-replica.js';

const FILTERS: Record<string, Pick<SyncSessionInit, 'bloomBitsPerEntry' | 'bloomHashes'>> = {
  normal: {},
  'one bit per entry': { bloomBitsPerEntry: 1, bloomHashes: 1 },
  'all ones': { bloomBitsPerEntry: 0.001, bloomHashes: 1 },
};

describe('sync/property', () => {
  it('any two diverged replicas end with the same commits, in few flights (fast-check, seeded)', function () {
    this.timeout(60_000);
    const seed = 0x51c;
    console.log(`      fast-check seed ${seed}`);
    let worst = 0;
    fc.assert(
      fc.property(
        fc.record({
          dagSeed: fc.nat(),
          base: fc.nat(150),
          aOnly: fc.nat(150),
          bOnly: fc.nat(150),
          writers: fc.integer({ min: 1, max: 6 }),
          mergeChance: fc.double({ min: 0, max: 0.6, noNaN: true }),
          filter: fc.constantFrom(...Object.keys(FILTERS)),
          initiator: fc.constantFrom('both' as const, 'a' as const),
          maxMessageBytes: fc.integer({ min: 1024, max: 16_384 }),
          useLastSync: fc.boolean(),
        }),
        (p) => {
          const { a, b, forkHeads } = diverged(p.dagSeed, p.base, p.aOnly, p.bOnly, {
            writers: p.writers,
            mergeChance: p.mergeChance,
            payloadBytes: 60,
          });
          const init: SyncSessionInit = { ...FILTERS[p.filter], maxMessageBytes: p.maxMessageBytes, ...(p.useLastSync ? { lastSyncHeads: forkHeads } : {}) };
          const r = runSyncToCompletion(a, b, { a: init, b: init, initiator: p.initiator });
          assert.ok(r.done, 'both done');
          assert.ok(sameSet(a, b), 'same sets');
          assert.equal(a.pendingCount + b.pendingCount, 0);
          assert.ok(r.flights <= (p.initiator === 'both' ? 5 : 6), `${r.flights} flights`);
          assert.ok(r.largestMessage <= p.maxMessageBytes, `message of ${r.largestMessage} bytes`);
          if (p.useLastSync) {
            assert.equal(r.commitsAtoB, p.aOnly, 'A sent exactly what B lacked');
            assert.equal(r.commitsBtoA, p.bOnly, 'B sent exactly what A lacked');
          }
          worst = Math.max(worst, r.flights);
        },
      ),
      { seed, numRuns: 120 },
    );
    console.log(`      worst case ${worst} flights`);
  });
});
