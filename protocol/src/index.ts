/**
 * Weft's protocol core: the public API used by the extension, the `weft` command, the
 * benchmarks and tools/ (test/architecture.test.ts refuses their imports of any other
 * protocol file). One explicit list; anything not here is internal to its module. The
 * other layers have their own entry points: protocol/runtime, storage, transport,
 * mirror, platform and sim each have an index.ts.
 */
export {
  type SigningKeyPair,
  generateSigningKeyPair,
  signingKeyPairFromSeed,
  publicKeyToText,
  publicKeyFromText,
  fingerprint,
  toHex,
  fromHex,
  bytesEqual,
  randomBytes,
  hash,
  sha256,
  sign,
  verify,
  encrypt,
  KeyTextError,
} from './crypto/index.js';
// The crypto backends, for the benchmarks' comparison of the native and the pure-JS code.
export { activeBackend } from './crypto/sign.js';
export { nobleAead } from './crypto/aead.js';
export { DecodeError } from './codec/errors.js';
export { ByteWriter, type ByteReader } from './codec/bytes.js';
export { writeHeader, readHeader, writeList, readList, decodeWith } from './codec/message.js';
export { stringHash32 } from './codec/string-hash.js';
export {
  TextDoc,
  encodeOps,
  decodeOps,
  diffHunks,
  MissingDependencyError,
  type TextChange,
  type Anchor,
  type Hunk,
} from './text/index.js';
export { diffText } from './text/diff.js';
export { MAX_LINE_EDITS } from './text/line-diff.js';
export { applyOps, xform, toHunks, type Op } from './text/op-transform.js';
export type { CommitEnvelope } from './log/commit.js';
export type { CommitId } from './log/ids.js';
export { CommitBatcher } from './log/batcher.js';
export { ShareReplica, NotAllowedError, type ReplicaChange } from './share/replica.js';
export { type Role, type GrantableRole, canAdminister } from './share/roles.js';
export type { FileId } from './share/manifest.js';
export { pathProblem } from './share/paths.js';
export { invitationToText, invitationFromText } from './share/invitation.js';
export { runSyncToCompletion } from './sync/index.js';
export { ShareNode } from './node/share-node.js';
export { encodeWire, decodeWire, PUBSUB_PROTOCOL, type WireMessage } from './multicast/wire.js';
export { MAX_SELECTIONS, type Presence, type PresenceEntry, type PresenceSelection } from './multicast/presence.js';
export type { BrokerLimits, TopicPolicy } from './broker/index.js';
export {
  convergenceKeys,
  ObjectWriter,
  writeObject,
  type ConvergenceKeys,
  type ObjectRef,
  type WrittenChunk,
} from './chunks/index.js';
export type { ChunkStore } from './ports/chunk-store.js';
