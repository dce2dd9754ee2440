/**
 * What a broker keeps, as the runtime's BrokerServer sees it: one durable log of
 * events per topic, and one chunk store per topic. protocol/storage/ keeps them on disk
 * (BrokerStore, TopicChunkShelf); a simulator keeps them in memory.
 */
import type { ChunkId } from '../chunks/index.js';
import type { ChunkStore } from './chunk-store.js';
import type { RecoveryReport } from './log-store.js';

export interface LoadedTopic {
  readonly topicHex: string;
  readonly records: Uint8Array[];
  readonly recovered?: RecoveryReport;
}

/** A broker's events: one crash-safe log per topic. */
export interface BrokerEventStore {
  /** Opens every stored topic and returns its records. */
  open(): Promise<LoadedTopic[]>;
  /** Appends durably to a topic's log (created on first use); resolves once on disk. */
  append(topicHex: string, records: readonly Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}

/** One topic's chunks at a broker. */
export interface TopicChunkStore extends ChunkStore {
  /** True if the chunk is held; then its time becomes now unless it was stored after `ifStoredBefore`. */
  refresh(id: ChunkId, ifStoredBefore: number): Promise<boolean>;
  /** What opening it repaired (torn tails cut, damaged files skipped), for the log. */
  readonly recovered: readonly string[];
  close(): Promise<void>;
}

/** Where a broker's chunk stores live: one per topic. */
export interface TopicChunkShelf {
  /** The topics (hex) that have a store already, sorted. */
  stored(): Promise<string[]>;
  /** Opens (or creates) a topic's store. */
  open(topicHex: string): Promise<TopicChunkStore>;
}
