/** Text CRDT: public API. */
export { TextDoc } from './text-doc.js';
export { encodeOps, decodeOps, OPS_VERSION } from './op-codec.js';
export { STATE_VERSION } from './state-codec.js';
export { MAX_AGENT_LENGTH, MAX_SEQ } from './limits.js';
export { MissingDependencyError, InvalidOpError } from './types.js';
export type { Anchor, DeleteOp, Hunk, Id, InsertOp, TextChange, TextOp, VersionVector } from './types.js';
export { diffHunks } from './diff.js';

import { TextDoc } from './text-doc.js';
/** Decodes a full state (TextDoc.decodeState); throws only DecodeError. */
export function decodeState(bytes: Uint8Array, agent = 'decoder'): TextDoc {
  return TextDoc.decodeState(bytes, agent);
}
