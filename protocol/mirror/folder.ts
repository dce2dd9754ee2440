/**
 * A member's folder as the mirror sees it: regular files at '/'-separated paths below
 * one root. Implementations: node-folder.ts (a real disk: never follows a link, never
 * writes outside the root) and memory-folder.ts (tests and the simulator).
 *
 * What every implementation guarantees (test/protocol/mirror/folder-acceptance.ts):
 * - Only regular files are files. A symbolic link (or Windows junction), to a file or
 *   a folder, is neither listed, read, written through, replaced nor removed: an
 *   operation that would touch one throws UnsafePathError('link').
 * - `write` is atomic (a reader sees the old bytes or the new, whole) and creates the
 *   missing parent folders; it replaces only a regular file or nothing.
 * - Paths are share paths (protocol/src/share/paths.ts normal form); Git's and Weft's
 *   own folders are never listed, read or written (UnsafePathError('protected')).
 */

export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
}

export type UnsafePathReason =
  /** A folder on the way, or the file itself, is a symbolic link or junction. */
  | 'link'
  /** Something other than a regular file (a folder, a socket, a device) is there. */
  | 'not-a-file'
  /** A protected name (.git, .weft, ...) or a path not in normal form. */
  | 'protected';

export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  constructor(
    readonly reason: UnsafePathReason,
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

export interface Folder {
  /** Every regular file below the root (links and protected folders are not followed). */
  list(): Promise<Map<string, FileStat>>;
  /** A regular file's bytes; undefined if nothing is there. Throws UnsafePathError for a link or a non-file. */
  read(path: string): Promise<Uint8Array | undefined>;
  stat(path: string): Promise<FileStat | undefined>;
  /**
   * Atomically replaces (or creates) a regular file; returns its new stat. With
   * `expected` (the stat the caller last saw, or 'absent'), the file is replaced only if
   * it still is as expected right before the rename: a person's write in the meantime
   * wins, and undefined is returned.
   */
  write(path: string, bytes: Uint8Array, expected?: FileStat | 'absent'): Promise<FileStat | undefined>;
  /** Removes a regular file (a no-op if nothing is there), then any folders this left empty. */
  remove(path: string): Promise<void>;
  /** Moves a regular file to a path where nothing is; false if `to` is taken or `from` is gone. */
  rename(from: string, to: string): Promise<boolean>;
  /**
   * A local path from which a caller may stream a regular file of this folder, checked
   * like `read` (the binary mirror reads it with ObjectFiles.read, protocol/src/ports/
   * object-files.ts: NodeObjectFiles for a NodeFolder).
   */
  pathForRead(path: string): Promise<string>;
  /**
   * A local path where a caller may write a file of this folder through its own means
   * (binary files are streamed there with ObjectFiles.create), checked like `write`:
   * parents created, no link on the way. The write goes to a temporary file beside it
   * (named with TEMP_MARK, so never listed) that is renamed into place.
   */
  pathForWrite(path: string): Promise<string>;
}
