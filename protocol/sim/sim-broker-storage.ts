/**
 * A simulated broker's storage: its events as one SimDisk log per topic (crashes lose
 * what was not yet fsync'd, as on a real disk), its chunks in memory.
 */
import type { BrokerEventStore, LoadedTopic, TopicChunkShelf, TopicChunkStore } from '../src/ports/broker-storage.js';
import type { ChunkId } from '../src/chunks/index.js';
import { MemoryChunkStore } from '../storage/memory-chunk-store.js';
import type { SimDisk, SimLogStore } from './sim-disk.js';

const TOPIC_PREFIX = 'topic/';

export class SimBrokerEvents implements BrokerEventStore {
  private readonly open_ = new Map<string, SimLogStore>();

  constructor(private readonly disk: SimDisk) {}

  async open(): Promise<LoadedTopic[]> {
    const topics: LoadedTopic[] = [];
    for (const name of this.disk.logNames(TOPIC_PREFIX)) {
      const topicHex = name.slice(TOPIC_PREFIX.length);
      const store = this.disk.log(name);
      const loaded = await store.open();
      this.open_.set(topicHex, store);
      topics.push({ topicHex, records: loaded.records });
    }
    return topics;
  }

  async append(topicHex: string, records: readonly Uint8Array[]): Promise<void> {
    let store = this.open_.get(topicHex);
    if (store === undefined) {
      store = this.disk.log(TOPIC_PREFIX + topicHex);
      this.open_.set(topicHex, store);
      await store.open();
    }
    await store.append(records);
  }

  async close(): Promise<void> {
    await Promise.all([...this.open_.values()].map((s) => s.close()));
    this.open_.clear();
  }
}

/** One MemoryChunkStore per topic; chunks survive crashes (the simulation's faults are in the event logs). */
export class SimChunkShelf implements TopicChunkShelf {
  private readonly stores = new Map<string, TopicChunkStore>();

  constructor(private readonly now: () => number) {}

  async stored(): Promise<string[]> {
    return [...this.stores.keys()].sort();
  }

  async open(topicHex: string): Promise<TopicChunkStore> {
    let store = this.stores.get(topicHex);
    if (store === undefined) {
      store = memoryTopicChunks(this.now);
      this.stores.set(topicHex, store);
    }
    return store;
  }
}

function memoryTopicChunks(now: () => number): TopicChunkStore {
  const store = new MemoryChunkStore({ now });
  return Object.assign(store, {
    recovered: [] as readonly string[],
    async refresh(id: ChunkId, ifStoredBefore: number): Promise<boolean> {
      if (!(await store.has(id))) return false;
      const bytes = await store.get(id);
      if (bytes && (await store.delete(id, ifStoredBefore))) await store.putSealed(id, bytes);
      return true;
    },
    async close(): Promise<void> {},
  });
}
