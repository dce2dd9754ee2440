/**
 * The acceptance suite every LogStore implementation runs against itself
 * (as automerge-repo's storage adapters do). `make()` returns a store that is not yet
 * open, `reopen()` a new, unopened store over the same backing (same directory, same
 * medium), and `cleanup()` removes the backing. Stores the suite creates are closed
 * after each test.
 */
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_RECORD_BYTES,
  RecordTooLargeError,
  StoreAlreadyOpenError,
  StoreClosedError,
  StoreLockedError,
  type LoadedLog,
  type LogStore,
} from '../../../protocol/src/ports/log-store.js';
import { assertSameRecords, patternRecord } from './test-records.js';

export interface LogStoreHarness {
  store: LogStore;
  reopen: () => Promise<LogStore>;
  cleanup: () => Promise<void>;
}

const bytes = (...values: number[]) => new Uint8Array(values);

export function logStoreAcceptance(name: string, make: () => Promise<LogStoreHarness>): void {
  describe(`LogStore acceptance: ${name}`, function () {
    this.timeout(60_000);
    let h: LogStoreHarness;
    let stores: LogStore[];

    /** A new, unopened store over the same backing, closed after the test. */
    async function another(): Promise<LogStore> {
      const s = await h.reopen();
      stores.push(s);
      return s;
    }
    /** Closes `store` and loads the backing again through a new store. */
    async function reload(store: LogStore): Promise<LoadedLog> {
      await store.close();
      return (await another()).open();
    }

    beforeEach(async () => {
      h = await make();
      stores = [h.store];
    });
    afterEach(async () => {
      for (const s of stores) await s.close();
      await h.cleanup();
    });

    it('opens an empty store with no records, snapshot or recovery', async () => {
      const loaded = await h.store.open();
      assert.deepEqual(loaded.records, []);
      assert.equal(loaded.snapshot, undefined);
      assert.equal(loaded.recovered, undefined);
    });

    it('loads appended records in append order, byte-exact, after reopening', async () => {
      await h.store.open();
      const expected = [0, 1, 2, 100, 1000, 70_000, 5].map((size, i) => patternRecord(1, i, size));
      await h.store.append(expected.slice(0, 3));
      await h.store.append(expected.slice(3, 4));
      await h.store.append(expected.slice(4));
      assertSameRecords((await reload(h.store)).records, expected);
    });

    it('stores empty records, and append([]) stores nothing', async () => {
      await h.store.open();
      await h.store.append([new Uint8Array(0)]);
      await h.store.append([]);
      await h.store.append([new Uint8Array(0), bytes(7), new Uint8Array(0)]);
      assertSameRecords((await reload(h.store)).records, [new Uint8Array(0), new Uint8Array(0), bytes(7), new Uint8Array(0)]);
    });

    it('stores large records, up to exactly the size limit', async () => {
      await h.store.open();
      const expected = [patternRecord(2, 0, 1 << 20), patternRecord(2, 1, 5 * (1 << 20) + 3), patternRecord(2, 2, DEFAULT_MAX_RECORD_BYTES)];
      await h.store.append(expected.slice(0, 2));
      await h.store.append(expected.slice(2));
      assertSameRecords((await reload(h.store)).records, expected);
    });

    it('rejects a record above the limit with RecordTooLargeError, storing nothing of that call', async () => {
      await h.store.open();
      await h.store.append([bytes(1)]);
      const tooBig = new Uint8Array(DEFAULT_MAX_RECORD_BYTES + 1);
      await assert.rejects(h.store.append([bytes(2), tooBig]), (err: unknown) => {
        assert.ok(err instanceof RecordTooLargeError);
        assert.equal(err.index, 1);
        assert.equal(err.size, DEFAULT_MAX_RECORD_BYTES + 1);
        assert.equal(err.limit, DEFAULT_MAX_RECORD_BYTES);
        return true;
      });
      await h.store.append([bytes(3)]); // still usable
      assertSameRecords((await reload(h.store)).records, [bytes(1), bytes(3)]);
    });

    it('keeps call order for concurrent appends and resolves them in that order', async () => {
      await h.store.open();
      const expected: Uint8Array[] = [];
      const resolved: number[] = [];
      const calls: Promise<void>[] = [];
      for (let call = 0; call < 200; call++) {
        const batch = Array.from({ length: call % 5 }, (_, i) => patternRecord(3, expected.length + i, (call * 37 + i) % 3000));
        expected.push(...batch);
        calls.push(h.store.append(batch).then(() => void resolved.push(call)));
      }
      await Promise.all(calls);
      assert.deepEqual(resolved, [...resolved].sort((a, b) => a - b));
      assertSameRecords((await reload(h.store)).records, expected);
    });

    it('copies the caller bytes when append is called', async () => {
      await h.store.open();
      const record = bytes(1, 2, 3);
      const done = h.store.append([record]);
      record[0] = 99;
      await done;
      assertSameRecords((await reload(h.store)).records, [bytes(1, 2, 3)]);
    });

    it('refuses use before open and after close with StoreClosedError; close is idempotent', async () => {
      await assert.rejects(h.store.append([bytes(1)]), StoreClosedError);
      await assert.rejects(h.store.writeSnapshot(bytes(1), 0), StoreClosedError);
      await h.store.open();
      await assert.rejects(h.store.open(), StoreAlreadyOpenError);
      await h.store.close();
      await h.store.close();
      await assert.rejects(h.store.append([bytes(1)]), StoreClosedError);
      await assert.rejects(h.store.writeSnapshot(bytes(1), 0), StoreClosedError);
      await assert.rejects(h.store.open(), StoreClosedError);
    });

    it('close waits for appends and snapshots still in flight', async () => {
      await h.store.open();
      const appended = h.store.append([bytes(1), bytes(2)]);
      const snapshotted = h.store.writeSnapshot(bytes(9), 2);
      await h.store.close();
      await appended;
      await snapshotted;
      const loaded = await (await another()).open();
      assertSameRecords(loaded.records, [bytes(1), bytes(2)]);
      assert.deepEqual(loaded.snapshot, { bytes: bytes(9), coversRecords: 2 });
    });

    it('sees every record across several sessions', async () => {
      const expected: Uint8Array[] = [];
      let store = h.store;
      for (let session = 0; session < 4; session++) {
        assertSameRecords((await store.open()).records, expected, `session ${session}`);
        const batch = Array.from({ length: 10 }, (_, i) => patternRecord(4, expected.length + i, 1 + ((session * 10 + i) % 7) * 50));
        await store.append(batch);
        expected.push(...batch);
        await store.close();
        store = await another();
      }
      assertSameRecords((await store.open()).records, expected);
    });

    it('round-trips a snapshot, and a newer one replaces the older', async () => {
      assert.equal((await h.store.open()).snapshot, undefined);
      await h.store.writeSnapshot(new Uint8Array(0), 0);
      await h.store.append([bytes(1), bytes(2), bytes(3)]);
      await h.store.writeSnapshot(bytes(10, 20), 2);
      let loaded = await reload(h.store);
      assert.deepEqual(loaded.snapshot, { bytes: bytes(10, 20), coversRecords: 2 });
      assertSameRecords(loaded.records, [bytes(1), bytes(2), bytes(3)]);

      const s2 = stores[stores.length - 1]!;
      const big = patternRecord(5, 0, 300_000);
      await s2.writeSnapshot(big, 3);
      loaded = await reload(s2);
      assert.equal(loaded.snapshot?.coversRecords, 3);
      assertSameRecords([loaded.snapshot!.bytes], [big]);
    });

    it('lets a snapshot cover appends made just before it, without awaiting them', async () => {
      await h.store.open();
      void h.store.append([bytes(1)]);
      void h.store.append([bytes(2)]);
      await h.store.writeSnapshot(bytes(42), 2);
      const loaded = await reload(h.store);
      assert.deepEqual(loaded.snapshot, { bytes: bytes(42), coversRecords: 2 });
    });

    it('refuses a snapshot that covers more records than the log holds, keeping the old one', async () => {
      await h.store.open();
      await h.store.append([bytes(1)]);
      await h.store.writeSnapshot(bytes(5), 1);
      await assert.rejects(h.store.writeSnapshot(bytes(6), 2), RangeError);
      await assert.rejects(h.store.writeSnapshot(bytes(6), -1), RangeError);
      await assert.rejects(h.store.writeSnapshot(bytes(6), 0.5), RangeError);
      assert.deepEqual((await reload(h.store)).snapshot, { bytes: bytes(5), coversRecords: 1 });
    });

    it('lets one store hold the backing at a time (StoreLockedError for the second)', async () => {
      await h.store.open();
      await h.store.append([bytes(1)]);
      const second = await another();
      await assert.rejects(second.open(), StoreLockedError);
      await h.store.append([bytes(2)]); // the holder is unaffected
      await h.store.close();
      const third = await another();
      assertSameRecords((await third.open()).records, [bytes(1), bytes(2)]);
    });
  });
}
