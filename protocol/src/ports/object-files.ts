/**
 * Local files for binary objects: what the runtime needs to store a file as an object
 * (its bytes in order) and to write an object out as a file (all at once, or not at
 * all), without touching a disk itself. PeerRuntime.storeObject takes an ObjectSource
 * and saveObject an ObjectSink; the binary mirror opens both with an ObjectFiles on
 * paths its Folder checked (protocol/mirror/folder.ts: pathForRead, pathForWrite).
 *
 * - read(path): the file's bytes a piece at a time (a megabyte or so each), so memory
 *   stays bounded however large the file is. The file is opened when the iteration
 *   starts, and a link at `path` is not followed; a missing or unreadable file makes
 *   the iteration throw.
 * - create(path): a new file that takes `path`'s place only on commit. The bytes go to
 *   a temporary file beside `path` (its name holds TEMP_MARK, so a folder never lists
 *   it); commit makes them durable, then asks `replace` (after the slow part, right
 *   before the switch: someone may have changed the file meanwhile) and puts them at
 *   `path` in one rename, so a reader sees the old bytes or the new ones, whole. A
 *   `replace` that answers false discards instead. discard() removes what was written
 *   and leaves `path` untouched; it may be called in any state (after a failed write,
 *   after a commit: then it does nothing).
 *
 * Implementations: NodeObjectFiles (protocol/storage/node-object-files.ts) and
 * MemoryObjectFiles (protocol/storage/memory-object-files.ts, for tests and the
 * simulator); both run test/protocol/storage/object-files-acceptance.ts.
 */

/** Temporary files of an atomic write beside their target carry this in their name. */
export const TEMP_MARK = '.weft-tmp-';

/** A file's bytes in order, a piece at a time. */
export type ObjectSource = AsyncIterable<Uint8Array>;

/** A file being written: bytes in order, then commit or discard. */
export interface ObjectSink {
  /** Appends `bytes` (copied or written before this resolves: the caller may reuse them). */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Makes the bytes durable and puts them at the path in one step, unless `replace`
   * (asked right before) answers false: then they are discarded. True when placed.
   */
  commit(replace?: () => Promise<boolean>): Promise<boolean>;
  /** Drops what was written; the path is left as it was. Does nothing after a commit. */
  discard(): Promise<void>;
}

/** Reads and writes local files by path (the paths a Folder handed out). */
export interface ObjectFiles {
  read(path: string): ObjectSource;
  create(path: string): Promise<ObjectSink>;
}

/** A write or commit on a sink that was already committed or discarded. */
export class ObjectSinkClosedError extends Error {
  override readonly name = 'ObjectSinkClosedError';
  constructor(readonly path: string) {
    super(`${path}: this write was already committed or discarded`);
  }
}
