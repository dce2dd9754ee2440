/**
 * Reading an object back: walks the tree from its root, checking every chunk against
 * its id and every node against its reference. I/O is the caller's `load` function.
 */
import { DecodeError } from '../codec/errors.js';
import { type ChunkId, type ObjectRef } from './chunk-id.js';
import { decodeTreeNode } from './codec.js';
import { openChunk } from './convergent.js';
import { CorruptObjectError, MissingChunkError } from './errors.js';

/** Returns a chunk's stored bytes, or undefined when it is not here. */
export type LoadChunk = (id: ChunkId) => Promise<Uint8Array | undefined>;

/** The children of a tree node (height >= 1), checked against the node's reference. */
export function openTreeNode(ref: ObjectRef, ciphertext: Uint8Array): ObjectRef[] {
  if (ref.height < 1) throw new RangeError('openTreeNode: a data chunk has no children');
  const plaintext = openChunk(ref, ciphertext);
  let node;
  try {
    node = decodeTreeNode(plaintext);
  } catch (err) {
    if (err instanceof DecodeError) throw new CorruptObjectError(`tree node ${ref.id.slice(0, 16)}… is not a valid node: ${err.message}`);
    throw err;
  }
  if (node.height !== ref.height) throw new CorruptObjectError(`tree node ${ref.id.slice(0, 16)}… has height ${node.height}, its reference says ${ref.height}`);
  let size = 0;
  for (const c of node.children) size += c.size;
  if (size !== ref.size) throw new CorruptObjectError(`tree node ${ref.id.slice(0, 16)}… holds ${size} bytes, its reference says ${ref.size}`);
  return node.children.map((c) => ({ ...c, height: ref.height - 1 }));
}

/** Opens a data chunk (height 0) and checks its length against the reference. */
export function openDataChunk(ref: ObjectRef, ciphertext: Uint8Array): Uint8Array {
  const plaintext = openChunk(ref, ciphertext);
  if (plaintext.length !== ref.size) throw new CorruptObjectError(`data chunk ${ref.id.slice(0, 16)}… holds ${plaintext.length} bytes, its reference says ${ref.size}`);
  return plaintext;
}

async function loadOrThrow(load: LoadChunk, id: ChunkId): Promise<Uint8Array> {
  const bytes = await load(id);
  if (bytes === undefined) throw new MissingChunkError(id);
  return bytes;
}

/** The file's bytes, one data chunk at a time, in order (memory: one path of the tree). */
export async function* readObject(root: ObjectRef, load: LoadChunk): AsyncGenerator<Uint8Array> {
  const stack: ObjectRef[] = [root];
  while (stack.length > 0) {
    const ref = stack.pop()!;
    const bytes = await loadOrThrow(load, ref.id);
    if (ref.height === 0) {
      yield openDataChunk(ref, bytes);
    } else {
      const children = openTreeNode(ref, bytes);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
}

/** The whole file in one array (small files, tests). */
export async function readWholeObject(root: ObjectRef, load: LoadChunk): Promise<Uint8Array> {
  const out = new Uint8Array(root.size);
  let at = 0;
  for await (const piece of readObject(root, load)) {
    if (at + piece.length > out.length) throw new CorruptObjectError('object holds more bytes than its reference says');
    out.set(piece, at);
    at += piece.length;
  }
  if (at !== out.length) throw new CorruptObjectError('object holds fewer bytes than its reference says');
  return out;
}

/**
 * Every chunk id of the object, nodes and data chunks, depth first. Only tree nodes are
 * loaded (data chunks are named by their parents), so this is cheap: ~1 node per 32
 * data chunks. Used by garbage collection to mark what is live.
 */
export async function* objectChunkIds(root: ObjectRef, load: LoadChunk): AsyncGenerator<ChunkId> {
  const stack: ObjectRef[] = [root];
  while (stack.length > 0) {
    const ref = stack.pop()!;
    yield ref.id;
    if (ref.height > 0) {
      const children = openTreeNode(ref, await loadOrThrow(load, ref.id));
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
}
