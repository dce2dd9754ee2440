/** Catch-up between two replicas (heads + Bloom-filter set reconciliation), sans-I/O. */
export { type SyncSource, type SyncReplica } from './source.js';
export {
  SyncSession,
  DEFAULT_MAX_MESSAGE_BYTES,
  type SyncSessionInit,
  type SyncStep,
  type SyncStats,
} from './session.js';
export {
  decodeSyncMessage,
  encodeSyncMessage,
  SYNC_LIMITS,
  SYNC_MESSAGE_KIND,
  SYNC_MESSAGE_VERSION,
  type SyncMessage,
  type SyncHave,
} from './message.js';
export { CommitBloom } from './bloom.js';
export { SyncProtocolError, type SyncProtocolErrorCode } from './errors.js';
export { runSyncToCompletion, SyncDidNotConvergeError, type SyncRunOptions, type SyncRunResult } from './run.js';
