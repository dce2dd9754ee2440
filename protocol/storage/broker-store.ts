/**
 * The broker's database on disk: one FileLogStore (crash-safe append-only segments,
 * fsync, group commit, torn-tail recovery) per topic, under
 *   <data>/topics/<topic hex>/
 * Records are opaque here (the broker writes commit envelopes and KEYS messages).
 * Chosen over SQLite: no native addon, already crash-tested with SIGKILL, and the
 * broker's access pattern is append + load-all-on-start (the in-memory index is
 * rebuilt from the records on open).
 * Limits: every record of a topic is loaded into memory on open (bounded by the
 * per-topic quota and max-topics); one open file per topic.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileLogStore } from './file-log-store.js';
import type { BrokerEventStore, LoadedTopic } from '../src/ports/broker-storage.js';

const TOPIC_DIR = /^[0-9a-f]{64}$/;

export class BrokerStore implements BrokerEventStore {
  private readonly stores = new Map<string, FileLogStore>();
  private readonly opening = new Map<string, Promise<FileLogStore>>();
  private closed = false;

  constructor(
    readonly dataDir: string,
    private readonly init: { maxRecordBytes?: number } = {},
  ) {}

  private get topicsDir(): string {
    return join(this.dataDir, 'topics');
  }

  /** Opens every stored topic and returns its records. */
  async open(): Promise<LoadedTopic[]> {
    await mkdir(this.topicsDir, { recursive: true });
    const out: LoadedTopic[] = [];
    for (const name of (await readdir(this.topicsDir)).sort()) {
      if (!TOPIC_DIR.test(name)) continue;
      const store = new FileLogStore(join(this.topicsDir, name), this.init);
      const loaded = await store.open();
      this.stores.set(name, store);
      out.push(loaded.recovered ? { topicHex: name, records: loaded.records, recovered: loaded.recovered } : { topicHex: name, records: loaded.records });
    }
    return out;
  }

  /** Appends durably to a topic's log (created on first use). */
  async append(topicHex: string, records: readonly Uint8Array[]): Promise<void> {
    if (!TOPIC_DIR.test(topicHex)) throw new RangeError(`not a topic: ${topicHex}`);
    const store = await this.storeFor(topicHex);
    await store.append(records);
  }

  private storeFor(topicHex: string): Promise<FileLogStore> {
    const existing = this.stores.get(topicHex);
    if (existing) return Promise.resolve(existing);
    let p = this.opening.get(topicHex);
    if (!p) {
      p = (async () => {
        if (this.closed) throw new Error('broker store is closed');
        const store = new FileLogStore(join(this.topicsDir, topicHex), this.init);
        await store.open();
        this.stores.set(topicHex, store);
        this.opening.delete(topicHex);
        return store;
      })();
      p.catch(() => this.opening.delete(topicHex));
      this.opening.set(topicHex, p);
    }
    return p;
  }

  /** Waits for pending appends and closes every topic store. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all([...this.stores.values()].map((s) => s.close()));
    this.stores.clear();
  }
}
