/** Errors of the chunk layer, each naming what a caller can do about it. */

/** A chunk's bytes do not hash to its id: altered in transit or on disk. Fetch it elsewhere. */
export class TamperedChunkError extends Error {
  override readonly name = 'TamperedChunkError';
  constructor(readonly id: string) {
    super(`chunk ${id.slice(0, 16)}… does not match its id: it was altered; fetch it from another source`);
  }
}

/** A chunk needed to read an object is not stored here. Fetch it (ChunkFetcher) and retry. */
export class MissingChunkError extends Error {
  override readonly name = 'MissingChunkError';
  constructor(readonly id: string) {
    super(`chunk ${id.slice(0, 16)}… is not stored here; fetch it from a peer or broker`);
  }
}

/**
 * A chunk matches its id but does not open with the key its reference carries, or a tree
 * node's contents contradict its reference (height, sizes). The object was written wrong
 * or the reference is wrong: refetching will not help.
 */
export class CorruptObjectError extends Error {
  override readonly name = 'CorruptObjectError';
}
