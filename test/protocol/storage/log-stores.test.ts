import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { StoreClosedError } from '../../../protocol/src/ports/log-store.js';
import { FileLogStore } from '../../../protocol/storage/file-log-store.js';
import { MemoryLogMedium, MemoryLogStore } from '../../../protocol/storage/memory-log-store.js';
import { logStoreAcceptance } from './log-store-acceptance.js';
import { tempStoreDir } from './test-records.js';

logStoreAcceptance('MemoryLogStore', async () => {
  const medium = new MemoryLogMedium();
  return { store: new MemoryLogStore(medium), reopen: async () => new MemoryLogStore(medium), cleanup: async () => {} };
});

logStoreAcceptance('FileLogStore', async () => {
  const dir = await tempStoreDir();
  return {
    store: new FileLogStore(dir),
    reopen: async () => new FileLogStore(dir),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

// Tiny segments, so that every acceptance test also crosses segment boundaries.
logStoreAcceptance('FileLogStore with 4 KiB segments', async () => {
  const dir = await tempStoreDir();
  return {
    store: new FileLogStore(dir, { maxSegmentBytes: 4096 }),
    reopen: async () => new FileLogStore(dir, { maxSegmentBytes: 4096 }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('MemoryLogMedium', () => {
  it('crash() frees the medium for a new store and stops the old one', async () => {
    const medium = new MemoryLogMedium();
    const first = new MemoryLogStore(medium);
    await first.open();
    await first.append([new Uint8Array([1])]);
    medium.crash();
    await assert.rejects(first.append([new Uint8Array([2])]), StoreClosedError);
    const second = new MemoryLogStore(medium);
    assert.deepEqual((await second.open()).records, [new Uint8Array([1])]);
    await first.close(); // does not release the new holder
    await assert.rejects(new MemoryLogStore(medium).open(), /in use/);
    await second.close();
  });
});
