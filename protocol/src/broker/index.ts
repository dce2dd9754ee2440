/** The broker's protocol logic (sans-I/O); the runtime is protocol/runtime/broker-server.ts. */
export {
  Broker,
  BROKER_SOFTWARE,
  WANT_REPLY_BYTES,
  emptyOutput,
  type BrokerInit,
  type BrokerNotice,
  type BrokerOutput,
  type ChannelId,
  type ChunkWork,
  type RelayDecision,
  type StoreRequest,
  type TopicPolicy,
  type TopicSummary,
} from './broker.js';
export { DEFAULT_BROKER_LIMITS, TokenBucket, type BrokerLimits } from './limits.js';
export { NewTopicQuota, addressGroup, type ChannelSource, type TopicQuotaLimits } from './topic-quota.js';
export { StreamSource, TopicIndex, type StoredKeys } from './topic-index.js';
export { encodeOverlayEnvelope, decodeOverlayEnvelope, OverlayEnvelopeError, OVERLAY_ENVELOPE_KIND, type OverlayEnvelope, type AddressHint } from './overlay-envelope.js';
