/**
 * The broker's database on disk: one FileLogStore (crash-safe append-only segments,
 * fsync, group commit, torn-tail recovery) per topic, under
 *   <data>/topics/<topic hex>/
 * Records are opaque here (the broker writes commit envelopes and KEYS messages).
 * Chosen over SQLite: no native addon, already crash-tested with SIGKILL, and the
 * broker's access pattern is append + load-all-on-start (the in-memory index is
 * rebuilt from the records on open).
 *
 * Open files (issue 18): a topic's log is open only while it is written. open() loads
 * every topic and closes its log; append() opens it again, and a log is closed once it
 * has been idle for idleCloseMs, or, least recently used first, when more than
 * maxOpenTopics are open. So 2,000 topics no longer hold 2,000 files (an outsider
 * flooding topics ran a broker out of file descriptors). Each append is durable before
 * it resolves whether or not its log is closed afterwards, and a log is closed only
 * with no append in flight, so crash safety is the FileLogStore's, unchanged. Reopening
 * a log reads it whole (its torn-tail check), which an active topic does not pay.
 * Limits: every record of a topic is loaded into memory on start (bounded by the
 * per-topic quota and max-topics).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileLogStore } from './file-log-store.js';
import type { BrokerEventStore, LoadedTopic } from '../src/ports/broker-storage.js';

const TOPIC_DIR = /^[0-9a-f]{64}$/;

export interface BrokerStoreInit {
  /** Largest record accepted (FileLogStore's maxRecordBytes). */
  maxRecordBytes?: number;
  /** Topic logs open at once at most (least recently used closed first). Default 64. */
  maxOpenTopics?: number;
  /** A topic log not written for this long is closed. Default 10 s. */
  idleCloseMs?: number;
}

export const DEFAULT_MAX_OPEN_TOPICS = 64;
export const DEFAULT_IDLE_CLOSE_MS = 10_000;

interface OpenTopic {
  readonly store: FileLogStore;
  /** Appends in flight. */
  writing: number;
  lastUsed: number;
}

export class BrokerStore implements BrokerEventStore {
  /** Open logs, least recently used first (Map order). */
  private readonly open_ = new Map<string, OpenTopic>();
  private readonly opening = new Map<string, Promise<OpenTopic>>();
  /** Logs being closed: a topic reopens only once its old log released its lock. */
  private readonly closing = new Map<string, Promise<void>>();
  private readonly maxOpen: number;
  private readonly idleCloseMs: number;
  private sweep: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    readonly dataDir: string,
    private readonly init: BrokerStoreInit = {},
  ) {
    this.maxOpen = Math.max(1, init.maxOpenTopics ?? DEFAULT_MAX_OPEN_TOPICS);
    this.idleCloseMs = init.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
  }

  private get topicsDir(): string {
    return join(this.dataDir, 'topics');
  }

  private logInit(): { maxRecordBytes?: number } {
    return this.init.maxRecordBytes !== undefined ? { maxRecordBytes: this.init.maxRecordBytes } : {};
  }

  /** Loads every stored topic's records; no log stays open. */
  async open(): Promise<LoadedTopic[]> {
    await mkdir(this.topicsDir, { recursive: true });
    const out: LoadedTopic[] = [];
    for (const name of (await readdir(this.topicsDir)).sort()) {
      if (!TOPIC_DIR.test(name)) continue;
      const store = new FileLogStore(join(this.topicsDir, name), this.logInit());
      const loaded = await store.open();
      await store.close();
      out.push(loaded.recovered ? { topicHex: name, records: loaded.records, recovered: loaded.recovered } : { topicHex: name, records: loaded.records });
    }
    return out;
  }

  /** How many topic logs are open now (for tests and status). */
  get openTopics(): number {
    return this.open_.size;
  }

  /** Appends durably to a topic's log (created on first use). */
  async append(topicHex: string, records: readonly Uint8Array[]): Promise<void> {
    if (!TOPIC_DIR.test(topicHex)) throw new RangeError(`not a topic: ${topicHex}`);
    for (;;) {
      const topic = await this.topicFor(topicHex);
      // closed (evicted) between its opening and now: open it again
      if (this.open_.get(topicHex) !== topic) continue;
      topic.writing++;
      try {
        await topic.store.append(records);
      } finally {
        topic.writing--;
        topic.lastUsed = Date.now();
        // over capacity while every log was being written: close the oldest idle ones now
        if (this.open_.size > this.maxOpen) this.evictOverCapacity();
      }
      return;
    }
  }

  private topicFor(topicHex: string): Promise<OpenTopic> {
    const existing = this.open_.get(topicHex);
    if (existing) {
      // most recently used last
      this.open_.delete(topicHex);
      this.open_.set(topicHex, existing);
      return Promise.resolve(existing);
    }
    let p = this.opening.get(topicHex);
    if (!p) {
      p = (async () => {
        await this.closing.get(topicHex);
        if (this.closed) throw new Error('broker store is closed');
        const store = new FileLogStore(join(this.topicsDir, topicHex), this.logInit());
        await store.open();
        const topic: OpenTopic = { store, writing: 0, lastUsed: Date.now() };
        this.open_.set(topicHex, topic);
        this.opening.delete(topicHex);
        this.evictOverCapacity();
        this.startSweep();
        return topic;
      })();
      p.catch(() => this.opening.delete(topicHex));
      this.opening.set(topicHex, p);
    }
    return p;
  }

  /** Closes idle logs, least recently used first, until at most maxOpen are open. */
  private evictOverCapacity(): void {
    for (const [hex, topic] of this.open_) {
      if (this.open_.size <= this.maxOpen) return;
      if (topic.writing === 0) this.closeTopic(hex, topic);
    }
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const [hex, topic] of this.open_) if (topic.writing === 0 && now - topic.lastUsed >= this.idleCloseMs) this.closeTopic(hex, topic);
    if (this.open_.size === 0) this.stopSweep();
  }

  private closeTopic(hex: string, topic: OpenTopic): void {
    this.open_.delete(hex);
    const done = topic.store.close().finally(() => {
      if (this.closing.get(hex) === done) this.closing.delete(hex);
    });
    this.closing.set(hex, done);
  }

  private startSweep(): void {
    if (this.sweep !== undefined || this.closed) return;
    this.sweep = setInterval(() => this.closeIdle(), Math.max(10, Math.floor(this.idleCloseMs / 2)));
    this.sweep.unref?.();
  }

  private stopSweep(): void {
    if (this.sweep !== undefined) clearInterval(this.sweep);
    this.sweep = undefined;
  }

  /** Waits for pending appends and closes every topic log. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSweep();
    await Promise.allSettled([...this.opening.values()]);
    const stores = [...this.open_.values()].map((t) => t.store);
    this.open_.clear();
    await Promise.all(stores.map((s) => s.close()));
    await Promise.allSettled([...this.closing.values()]);
  }
}
