/**
 * Binary files as encrypted, content-addressed chunks (DESIGN.md "Chunks"): content-
 * defined chunking, convergent encryption per share, a Merkle tree of encrypted nodes,
 * object references (id + key), and a sans-I/O fetch scheduler.
 */
export { type ChunkId, type ChunkRef, type ObjectRef, CHUNK_ID_BYTES, CHUNK_KEY_BYTES, isChunkId, chunkIdOf, matchesId } from './chunk-id.js';
export { type ChunkSizes, DEFAULT_CHUNK_SIZES, ChunkBoundaries, Chunker } from './chunker.js';
export { type ConvergenceKeys, type SealedChunk, CHUNK_OVERHEAD_BYTES, convergenceKeys, sealChunk, openChunk } from './convergent.js';
export { type TreeNode, encodeTreeNode, decodeTreeNode, encodeObjectRef, decodeObjectRef, MAX_TREE_FANOUT, MAX_TREE_HEIGHT } from './codec.js';
export { type TreeFanout, type ObjectWriterInit, type WrittenObject, type WrittenChunk, DEFAULT_FANOUT, ObjectWriter, writeObject } from './object-writer.js';
export { type LoadChunk, openTreeNode, openDataChunk, readObject, readWholeObject, objectChunkIds } from './object-reader.js';
export {
  type SourceId,
  type ChunkRequest,
  type FetchProgress,
  type ReceiveResult,
  type ChunkFetcherInit,
  type LocalLookup,
  ChunkFetcher,
} from './fetcher.js';
export { TamperedChunkError, MissingChunkError, CorruptObjectError } from './errors.js';
