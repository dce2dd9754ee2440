/** The broker state machine's inputs, outputs and per-channel state (see broker.ts). */
import type { CommitId } from '../log/ids.js';
import type { SyncSession } from '../sync/index.js';
import type { BrokerLimits, TokenBucket } from './limits.js';
import type { ChannelSource } from './topic-quota.js';

export type ChannelId = string & { readonly __brand: 'ChannelId' };
export type TopicPolicy = 'open' | 'allowlist';

export const BROKER_SOFTWARE = 'weft-broker/0.1.0';
/** A WANT is answered with at most this many bytes of events; the rest can be asked again. */
export const WANT_REPLY_BYTES = 16 * 1024 * 1024;
export const MAX_DEFERRED_FRAMES = 256;

export interface BrokerInit {
  policy?: TopicPolicy;
  /** Topics served in allowlist mode (32-byte topic public keys). */
  allowlist?: readonly Uint8Array[];
  limits?: Partial<BrokerLimits>;
}

export interface StoreRequest {
  readonly id: number;
  readonly topic: Uint8Array;
  readonly topicHex: string;
  /** Records for the topic's log: commit envelopes (first byte 0x43) or KEYS wire messages (0x4d). */
  readonly records: Uint8Array[];
}

export interface BrokerNotice {
  readonly level: 'info' | 'warn';
  readonly channel?: ChannelId;
  readonly text: string;
}

/**
 * Chunk messages for the runtime, which holds the per-topic chunk stores (I/O): checked
 * here (topic policy, the offer's topic signature), stored and served there.
 */
export type ChunkWork =
  /** A writer offers these chunks for `topic` (signature verified): want the missing ones. */
  | { readonly kind: 'offer'; readonly channel: ChannelId; readonly topic: Uint8Array; readonly topicHex: string; readonly ids: Uint8Array[] }
  /** Serve these chunks from the stores of the topics the channel subscribes to. */
  | { readonly kind: 'want'; readonly channel: ChannelId; readonly ids: Uint8Array[]; readonly topicHexes: string[] }
  /** A chunk sent to us: the runtime stores it if it answers one of its wants, else refuses it (refuseChunk). */
  | { readonly kind: 'chunk'; readonly channel: ChannelId; readonly id: Uint8Array; readonly bytes: Uint8Array };

/**
 * A RELAYREQ decided (issue 19): the runtime lets the peer (hex key) reserve a circuit relay
 * slot while the channel is open, or tells its relay why not.
 */
export interface RelayDecision {
  readonly channel: ChannelId;
  readonly peer: string;
  readonly granted: boolean;
  readonly reason: string;
}

export interface BrokerOutput {
  send: Array<{ to: ChannelId; frame: Uint8Array }>;
  store: StoreRequest[];
  chunks: ChunkWork[];
  close: Array<{ channel: ChannelId; reason: string }>;
  notices: BrokerNotice[];
  relay: RelayDecision[];
  /** Topics this broker began to carry (a member subscribed, or its first event was stored): the overlay adds a ring for each. */
  carried: Uint8Array[];
}

export interface TopicSummary {
  readonly topic: string;
  readonly events: number;
  readonly bytes: number;
  readonly subscribers: number;
}

export interface SyncEntry {
  readonly session: SyncSession;
  readonly topics: Uint8Array[];
  readonly topicHexes: Set<string>;
  needsPoll: boolean;
}

export interface ChannelState {
  readonly id: ChannelId;
  role: 'peer' | 'broker' | 'unknown';
  isBroker: boolean;
  readonly subs: Set<string>;
  readonly sessions: Map<string, SyncEntry>;
  readonly messages: TokenBucket;
  readonly bytes: TokenBucket;
  readonly presence: TokenBucket;
  readonly strikes: TokenBucket;
  lastRateError: number;
  pendingStores: number;
  /** Events (and key messages) this channel sent that wait to be durable: its publish window in use. */
  windowEvents: number;
  windowBytes: number;
  readonly deferred: Uint8Array[];
  closing: boolean;
  /** Who opened it, for the new-topic quotas per source (none for peer brokers we dialled). */
  readonly source?: ChannelSource;
  /** A signed RELAYREQ for a topic not stored here yet: granted once the topic is (hex). */
  relayWaiting?: string;
  /**
   * A link to a ring neighbour of the overlay (either side): only topics both carry are
   * synced on it (ringLink() and the remote's SUBSCRIBEs), never every topic as with a
   * peer broker; events reach it by sync, not by live forwarding (they travel the ring).
   */
  ringLink?: { readonly topics: Set<string> };
}

export type PendingItem =
  | { kind: 'commit'; id: CommitId; deps: readonly CommitId[]; bytes: Uint8Array; from: ChannelId; stream?: string }
  | { kind: 'keys'; member: Uint8Array; message: Uint8Array; from: ChannelId };

export interface PendingRequest {
  readonly topic: Uint8Array;
  readonly topicHex: string;
  readonly items: PendingItem[];
  /** Channels whose pendingStores this request counts in (one count per channel). */
  readonly channels: Set<ChannelId>;
}

export function emptyOutput(): BrokerOutput {
  return { send: [], store: [], chunks: [], close: [], notices: [], relay: [], carried: [] };
}

