/**
 * Weft's protocol: the public API used by the extension, the `weft` command and the
 * runtimes. One explicit list; anything not here is internal to its module.
 */
export {
  type SigningKeyPair,
  type RandomSource,
  generateSigningKeyPair,
  signingKeyPairFromSeed,
  publicKeyToText,
  publicKeyFromText,
  fingerprint,
  toHex,
  fromHex,
  KeyTextError,
} from './crypto/index.js';
export { DecodeError, type DecodeErrorCode } from './codec/errors.js';
export { TextDoc, type TextOp, type TextChange, type Anchor, type Id } from './text/index.js';
export { type CommitEnvelope, decodeCommitEnvelope, verifyTopicSignature } from './log/commit.js';
export { type CommitId, shortId } from './log/ids.js';
export { CommitRejectedError, type RejectReason } from './log/errors.js';
export { CommitBatcher } from './log/batcher.js';
export { ShareReplica, NotAllowedError, type ReplicaChange, type MergeResult, type ReceiveOutcome } from './share/replica.js';
export { type Role, type GrantableRole, canWrite, canAdminister } from './share/roles.js';
export { type FileId, type EntryKind, type ManifestEntry, type ManifestChange } from './share/manifest.js';
export { InvalidPathError, normalisePath } from './share/paths.js';
export { SyncSession, runSyncToCompletion, type SyncSource, type SyncReplica } from './sync/index.js';
export { ShareNode } from './node/share-node.js';
export { encodeWire, decodeWire, PUBSUB_PROTOCOL, type WireMessage } from './multicast/wire.js';
