/**
 * Wire formats of the chunk layer (codec/message.ts headers).
 *
 * Tree node (the plaintext of an interior chunk), kind 0x54 'T', version 1:
 *   varuint height          1..MAX_TREE_HEIGHT; the children have height - 1
 *   varuint count           1..MAX_TREE_FANOUT
 *   count x child:
 *     id    32 bytes        SHA-256 of the child's ciphertext
 *     key   32 bytes        the child's chunk key
 *     varuint size          plaintext bytes below the child (>= 1 unless it is the only child)
 *
 * Object reference (what a manifest entry carries), kind 0x4f 'O', version 1:
 *   id 32 bytes, key 32 bytes, varuint size, u8 height (0..MAX_TREE_HEIGHT)
 */
import { ByteWriter, type ByteReader } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { decodeWith, readHeader, writeHeader } from '../codec/message.js';
import { CHUNK_ID_BYTES, CHUNK_KEY_BYTES, chunkIdFromBytes, chunkIdToBytes, type ChunkRef, type ObjectRef } from './chunk-id.js';

export const TREE_NODE_KIND = 0x54;
export const OBJECT_REF_KIND = 0x4f;
/** 2^12 levels of fan-out >= 2 is far beyond any file; the bound keeps hostile refs cheap. */
export const MAX_TREE_HEIGHT = 12;
/** What a decoder accepts; writers use far fewer (ObjectWriter: at most 128). */
export const MAX_TREE_FANOUT = 1024;
const MIN_CHILD_BYTES = CHUNK_ID_BYTES + CHUNK_KEY_BYTES + 1;
export const MAX_TREE_NODE_BYTES = 16 + MAX_TREE_FANOUT * (MIN_CHILD_BYTES + 7);
export const OBJECT_REF_BYTES_MAX = 2 + CHUNK_ID_BYTES + CHUNK_KEY_BYTES + 8 + 1;

export interface TreeNode {
  readonly height: number;
  readonly children: readonly ChunkRef[];
}

function writeRefBody(w: ByteWriter, ref: ChunkRef): void {
  w.writeFixed(chunkIdToBytes(ref.id));
  if (ref.key.length !== CHUNK_KEY_BYTES) throw new RangeError(`chunk key must be ${CHUNK_KEY_BYTES} bytes`);
  w.writeFixed(ref.key);
  w.writeVarUint(ref.size);
}

function readRefBody(r: ByteReader): ChunkRef {
  const id = chunkIdFromBytes(r.readFixed(CHUNK_ID_BYTES));
  const key = r.readFixed(CHUNK_KEY_BYTES).slice();
  return { id, key, size: r.readVarUint() };
}

export function encodeTreeNode(node: TreeNode): Uint8Array {
  const { height, children } = node;
  if (!Number.isInteger(height) || height < 1 || height > MAX_TREE_HEIGHT) throw new RangeError(`tree node height ${height}`);
  if (children.length < 1 || children.length > MAX_TREE_FANOUT) throw new RangeError(`tree node with ${children.length} children`);
  const w = new ByteWriter(8 + children.length * (MIN_CHILD_BYTES + 4));
  writeHeader(w, TREE_NODE_KIND, 1);
  w.writeVarUint(height);
  w.writeVarUint(children.length);
  for (const c of children) writeRefBody(w, c);
  return w.finish();
}

export function decodeTreeNode(bytes: Uint8Array): TreeNode {
  return decodeWith(
    bytes,
    MAX_TREE_NODE_BYTES,
    (r) => {
      readHeader(r, TREE_NODE_KIND, [1]);
      const height = r.readVarUint();
      if (height < 1 || height > MAX_TREE_HEIGHT) throw new DecodeError('malformed', `tree node height ${height}`);
      const count = r.readCount(MAX_TREE_FANOUT, MIN_CHILD_BYTES, 'tree node children');
      if (count < 1) throw new DecodeError('malformed', 'tree node without children');
      const children: ChunkRef[] = [];
      for (let i = 0; i < count; i++) children.push(readRefBody(r));
      return { height, children };
    },
    'tree node',
  );
}

export function encodeObjectRef(ref: ObjectRef): Uint8Array {
  if (!Number.isInteger(ref.height) || ref.height < 0 || ref.height > MAX_TREE_HEIGHT) throw new RangeError(`object height ${ref.height}`);
  const w = new ByteWriter(OBJECT_REF_BYTES_MAX);
  writeHeader(w, OBJECT_REF_KIND, 1);
  writeRefBody(w, ref);
  w.writeU8(ref.height);
  return w.finish();
}

export function decodeObjectRef(bytes: Uint8Array): ObjectRef {
  return decodeWith(
    bytes,
    OBJECT_REF_BYTES_MAX,
    (r) => {
      readHeader(r, OBJECT_REF_KIND, [1]);
      const ref = readRefBody(r);
      const height = r.readU8();
      if (height > MAX_TREE_HEIGHT) throw new DecodeError('malformed', `object height ${height}`);
      return { ...ref, height };
    },
    'object ref',
  );
}
