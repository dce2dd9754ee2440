/** FileLogStore specifics beyond the acceptance suite: lock, group commit, snapshot file, write failure. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileLogStore } from '../../../protocol/storage/file-log-store.js';
import { StoreFailedError, StoreLockedError } from '../../../protocol/src/ports/log-store.js';
import { SNAPSHOT_FILE } from '../../../protocol/storage/snapshot-file.js';
import { assertSameRecords, openAndClose, patternRecord, tempStoreDir } from './test-records.js';

const bytes = (...values: number[]) => new Uint8Array(values);

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('FileLogStore', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => (dir = await tempStoreDir()));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes its pid to LOCK while open and removes it on close', async () => {
    const store = new FileLogStore(dir);
    await store.open();
    assert.equal(await readFile(join(dir, 'LOCK'), 'utf8'), `${process.pid}\n`);
    await assert.rejects(new FileLogStore(dir).open(), (err: unknown) => {
      assert.ok(err instanceof StoreLockedError);
      assert.equal(err.holderPid, process.pid);
      return true;
    });
    await store.close();
    assert.ok(!(await readdir(dir)).some((n) => n.startsWith('LOCK')), 'no lock files left');
  });

  it('takes over the lock of a dead process', async () => {
    await writeFile(join(dir, 'LOCK'), `${deadPid()}\n`);
    const store = new FileLogStore(dir);
    await store.open();
    assert.equal(await readFile(join(dir, 'LOCK'), 'utf8'), `${process.pid}\n`);
    await store.close();
  });

  it('treats an unreadable lock as held while fresh and as stale once old', async () => {
    await writeFile(join(dir, 'LOCK'), '');
    await assert.rejects(new FileLogStore(dir).open(), StoreLockedError);
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'LOCK'), old, old);
    const store = new FileLogStore(dir);
    await store.open();
    await store.close();
  });

  it('only one of several stores racing for a stale lock wins', async () => {
    await writeFile(join(dir, 'LOCK'), `${deadPid()}\n`);
    const stores = Array.from({ length: 6 }, () => new FileLogStore(dir));
    const results = await Promise.allSettled(stores.map((s) => s.open()));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StoreLockedError, String(r.reason));
    for (const s of stores) await s.close();
  });

  it('group-commits concurrent appends: far fewer fsyncs than calls', async () => {
    const store = new FileLogStore(dir);
    await store.open();
    const expected = Array.from({ length: 500 }, (_, i) => patternRecord(20, i, 100));
    await Promise.all(expected.map((r) => store.append([r])));
    assert.equal(store.stats.appendCalls, 500);
    assert.ok(store.stats.syncs <= 10, `${store.stats.syncs} fsyncs for 500 concurrent appends`);
    await store.close();
    assertSameRecords((await openAndClose(dir)).records, expected);
  });

  it('ignores a damaged snapshot (a cache) and says why, removes a leftover temp file', async () => {
    let store = new FileLogStore(dir);
    await store.open();
    await store.append([bytes(1)]);
    await store.writeSnapshot(bytes(1, 2, 3), 1);
    await store.close();
    const snap = await readFile(join(dir, SNAPSHOT_FILE));
    snap[snap.length - 1]! ^= 1;
    await writeFile(join(dir, SNAPSHOT_FILE), snap);
    await writeFile(join(dir, 'snapshot.tmp'), 'half written');
    store = new FileLogStore(dir);
    const loaded = await store.open();
    assert.equal(loaded.snapshot, undefined);
    assert.match(loaded.snapshotDiscarded ?? '', /checksum/);
    assert.ok(!(await readdir(dir)).includes('snapshot.tmp'));
    assertSameRecords(loaded.records, [bytes(1)]);
    await store.writeSnapshot(bytes(4), 1);
    await store.close();
    assert.deepEqual((await openAndClose(dir)).snapshot, { bytes: bytes(4), coversRecords: 1 });
  });

  it('creates missing parent directories', async () => {
    const nested = join(dir, 'a', 'b', 'log');
    const store = new FileLogStore(nested);
    await store.open();
    await store.append([bytes(1)]);
    await store.close();
    assertSameRecords((await openAndClose(nested)).records, [bytes(1)]);
  });

  it('ignores files it does not own in its directory', async () => {
    await writeFile(join(dir, 'notes.txt'), 'hello');
    await writeFile(join(dir, '1.seg'), 'not a segment name');
    const store = new FileLogStore(dir);
    await store.open();
    await store.append([bytes(5)]);
    await store.close();
    assertSameRecords((await openAndClose(dir)).records, [bytes(5)]);
  });

  it('fails every later call with StoreFailedError after a write error, and recovers on reopen', async () => {
    const store = new FileLogStore(dir);
    await store.open();
    await store.append([bytes(1)]);
    // Pull the file out from under the store to make the next write fail (EBADF).
    await (store as unknown as { segment: { fh: { close(): Promise<void> } } }).segment.fh.close();
    const failing = [store.append([bytes(2)]), store.append([bytes(3)])];
    for (const p of failing) await assert.rejects(p, StoreFailedError);
    await assert.rejects(store.append([bytes(4)]), StoreFailedError);
    await assert.rejects(store.writeSnapshot(bytes(4), 0), StoreFailedError);
    await store.close();
    assertSameRecords((await openAndClose(dir)).records, [bytes(1)]);
  });
});
