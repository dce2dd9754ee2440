/**
 * A broker's chunk stores on disk: `<dir>/<topic hex>/`, one durable PackChunkStore per
 * topic (one fdatasync per batch of writes).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopicChunkShelf, TopicChunkStore } from '../src/ports/broker-storage.js';
import { PackChunkStore } from './chunk-store-pack.js';

const TOPIC_DIR = /^[0-9a-f]{64}$/;

export class PackTopicChunkShelf implements TopicChunkShelf {
  constructor(
    private readonly dir: string,
    /** Milliseconds since the epoch, for the chunks' times (expiry). */
    private readonly now: () => number,
  ) {}

  async stored(): Promise<string[]> {
    await mkdir(this.dir, { recursive: true });
    return (await readdir(this.dir)).filter((name) => TOPIC_DIR.test(name)).sort();
  }

  open(topicHex: string): Promise<TopicChunkStore> {
    if (!TOPIC_DIR.test(topicHex)) return Promise.reject(new RangeError(`not a topic: ${topicHex}`));
    return PackChunkStore.open(join(this.dir, topicHex), { durable: true, now: this.now });
  }
}
