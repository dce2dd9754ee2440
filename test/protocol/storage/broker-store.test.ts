import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerStore } from '../../../protocol/storage/broker-store.js';

const topic = (i: number): string => i.toString(16).padStart(64, '0');
const record = (i: number, j: number): Uint8Array => new TextEncoder().encode(`topic ${i} record ${j}`);

/** Waits, observing, until `cond` holds (up to `ms`). */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

describe('storage/BrokerStore: idle topics hold no open file (issue 18)', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'weft-broker-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps at most maxOpenTopics logs open, closes idle ones, and every append is there after a reopen', async () => {
    const store = new BrokerStore(dir, { maxOpenTopics: 3, idleCloseMs: 100 });
    assert.deepEqual(await store.open(), []);
    // 12 topics written at once, several appends each, racing eviction and reopening
    await Promise.all(Array.from({ length: 12 }, (_, i) => Promise.all([0, 1, 2].map((j) => store.append(topic(i), [record(i, j)])))));
    assert.ok(store.openTopics <= 3, `open logs: ${store.openTopics}`);
    assert.ok(await until(() => store.openTopics === 0, 5000), 'idle logs were closed');
    await store.append(topic(3), [record(3, 3)]);
    assert.equal(store.openTopics, 1);
    await store.close();

    const again = new BrokerStore(dir);
    const loaded = await again.open();
    assert.equal(again.openTopics, 0, 'loading opens no log for good');
    assert.equal(loaded.length, 12);
    for (const t of loaded) {
      const i = parseInt(t.topicHex, 16);
      const texts = t.records.map((r) => new TextDecoder().decode(r)).sort();
      const want = [0, 1, 2, ...(i === 3 ? [3] : [])].map((j) => `topic ${i} record ${j}`).sort();
      assert.deepEqual(texts, want);
      assert.ok(!readdirSync(join(dir, 'topics', t.topicHex)).includes('LOCK'), 'no topic log is left locked');
    }
    await again.close();
  });
});
