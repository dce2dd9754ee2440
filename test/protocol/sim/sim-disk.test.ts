/**
 * The simulated disk honours fsync: an append resolves only once durable; a crash keeps
 * every acknowledged record and, of those still being written, a prefix in order,
 * never a record out of order; a store opened before the crash never answers again.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SimDisk } from '../../../protocol/sim/sim-disk.js';
import { VirtualClock } from '../../../protocol/sim/virtual-clock.js';
import { prng } from '../../../protocol/sim/prng.js';
import { StoreLockedError } from '../../../protocol/src/ports/log-store.js';

const record = (n: number): Uint8Array => new Uint8Array([n & 255, n >> 8]);
const numberOf = (r: Uint8Array): number => r[0]! | (r[1]! << 8);

/** Lets promise continuations run (the simulator's turn). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('sim/SimDisk', () => {
  it('an append resolves only after its fsync, and then survives a crash', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk({ clock, random: prng(1), fsyncMs: () => 5 });
    const store = disk.log('share');
    await store.open();
    let acked = false;
    const append = store.append([record(1)]).then(() => (acked = true));
    await turn();
    assert.equal(acked, false, 'resolved before its fsync');
    clock.advance(5);
    await append;
    assert.equal(acked, true);
    disk.crash();
    const reopened = await disk.log('share').open();
    assert.deepEqual(reopened.records.map(numberOf), [1]);
  });

  it('property: after a crash, the log is every acknowledged record plus a prefix of the rest, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 30 }), async (seed, gaps) => {
        const clock = new VirtualClock();
        const random = prng(seed);
        const disk = new SimDisk({ clock, random, fsyncMs: () => 1 + random() * 10 });
        const store = disk.log('share');
        await store.open();
        const acked: number[] = [];
        let n = 0;
        for (const gap of gaps) {
          const k = n++;
          void store.append([record(k)]).then(() => acked.push(k));
          clock.advance(gap);
          await turn();
        }
        disk.crash();
        const kept = (await disk.log('share').open()).records.map(numberOf);
        assert.deepEqual(kept, [...Array(kept.length).keys()], `kept ${kept} is not a prefix in order`);
        assert.ok(kept.length >= acked.length, `acknowledged ${acked.length}, kept ${kept.length}`);
        assert.deepEqual(acked, [...Array(acked.length).keys()], 'acknowledged out of order');
      }),
      { numRuns: 200 },
    );
  });

  it('a log is held by one store at a time; a crash frees it, and the dead store never answers', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk({ clock, random: prng(2), fsyncMs: () => 1 });
    const first = disk.log('share');
    await first.open();
    await assert.rejects(disk.log('share').open(), StoreLockedError);
    disk.crash();
    let settled = false;
    void first.append([record(9)]).finally(() => (settled = true));
    clock.advance(100);
    await turn();
    assert.equal(settled, false, 'a store of the dead process answered');
    const second = disk.log('share');
    assert.deepEqual((await second.open()).records, []);
  });
});
