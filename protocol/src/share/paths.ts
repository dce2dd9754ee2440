/**
 * Workspace paths as the manifest stores them: workspace-relative POSIX paths,
 * segments joined by '/', no leading '/', no '.' / '..' / empty segments, no NUL,
 * well-formed Unicode, at most MAX_PATH_BYTES bytes of UTF-8.
 *
 * Paths are compared byte for byte: case-sensitive and without Unicode
 * normalisation, so `Readme.md` and `README.md` are two files, as on Linux. On a
 * case-insensitive disk (default macOS and Windows) the editor binding must detect
 * such pairs itself; the manifest only guarantees that no two visible paths are equal.
 * Characters that Windows forbids (`<>:"|?*\`) are allowed here for the same reason.
 */

import { DecodeError } from '../codec/errors.js';

export const MAX_PATH_BYTES = 4096;

export type InvalidPathReason =
  | 'empty' // '' (the workspace root is not an entry)
  | 'absolute' // starts with '/'
  | 'dot-segment' // a '.' or '..' segment
  | 'empty-segment' // '//' or a trailing '/'
  | 'nul' // contains U+0000
  | 'bad-unicode' // a lone UTF-16 surrogate (it would not survive UTF-8)
  | 'too-long' // more than MAX_PATH_BYTES bytes of UTF-8
  | 'inside-itself' // a folder moved into itself (renameFolderOps)
  | 'protected'; // names Git's or Weft's own folder (protectedSegment): a share never writes there

export class InvalidPathError extends Error {
  override readonly name = 'InvalidPathError';
  constructor(
    readonly reason: InvalidPathReason,
    readonly path: string,
  ) {
    super(`invalid path ${JSON.stringify(path.length > 80 ? path.slice(0, 80) + '…' : path)}: ${reason}`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8 = new TextEncoder();

function utf8Length(s: string): number {
  // Every UTF-16 unit takes at most 3 bytes, so short strings need no encoding.
  return s.length * 3 <= MAX_PATH_BYTES ? s.length : utf8.encode(s).length;
}

/**
 * Folders a share never holds: Git's (its config and hooks run commands, so writing
 * there is running code on a teammate's machine) and Weft's own. At any depth, so a
 * nested repository or submodule is covered too. The test is made for every disk a
 * member may have: case-insensitive (`.GIT` is `.git` on macOS and Windows), without
 * the trailing dots and spaces Windows drops (`.git.`), without an NTFS stream suffix
 * (`.git::$INDEX_ALLOCATION` is the folder itself), and Windows' 8.3 short name
 * `GIT~1`. See docs/FOLDERS.md.
 */
export function protectedSegment(segment: string): boolean {
  const name = segment.toLowerCase().replace(/:.*$/s, '').replace(/[. ]+$/, '');
  return name === '.git' || name === '.weft' || name === 'git~1' || name === 'weft~1';
}

/** A received op names a protected path: the commit carrying it is refused whole. */
export class ProtectedPathError extends DecodeError {
  constructor(readonly path: string) {
    super('malformed', `${JSON.stringify(path.length > 80 ? path.slice(0, 80) + '…' : path)} lies inside Git's or Weft's own folder, which a share never holds`);
  }
}

/** Why `path` is not in normal form or may not be shared, or undefined if it is fine. */
export function pathProblem(path: string): InvalidPathReason | undefined {
  if (path === '') return 'empty';
  if (path.includes('\0')) return 'nul';
  if (LONE_SURROGATE.test(path)) return 'bad-unicode';
  if (utf8Length(path) > MAX_PATH_BYTES) return 'too-long';
  if (path.startsWith('/')) return 'absolute';
  for (const seg of path.split('/')) {
    if (seg === '') return 'empty-segment';
    if (seg === '.' || seg === '..') return 'dot-segment';
    if (protectedSegment(seg)) return 'protected';
  }
  return undefined;
}

/** Throws InvalidPathError unless `path` is already in normal form (what ops and the wire carry). */
export function assertNormalPath(path: string): void {
  const problem = pathProblem(path);
  if (problem) throw new InvalidPathError(problem, path);
}

/**
 * Normal form of a workspace-relative path given by a user or the editor: repeated
 * and trailing '/' and '.' segments are dropped. '..' is refused rather than
 * resolved (a path that climbs is a bug or an attack, not something to guess at),
 * and so is a leading '/'.
 */
export function normalisePath(input: string): string {
  if (input.startsWith('/')) throw new InvalidPathError('absolute', input);
  const segs = input.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) throw new InvalidPathError('dot-segment', input);
  const path = segs.join('/');
  const problem = pathProblem(path);
  if (problem) throw new InvalidPathError(problem, input);
  return path;
}

/** The folder holding `path` ('' for the root). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Every proper ancestor folder of `path`, nearest first (`a/b/c` -> `a/b`, `a`). */
export function ancestorFolders(path: string): string[] {
  const out: string[] = [];
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) out.push(path.slice(0, i));
  return out;
}

/** True if `path` is `folder` or lies below it. */
export function isWithin(path: string, folder: string): boolean {
  return path === folder || (path.length > folder.length && path.startsWith(folder) && path[folder.length] === '/');
}

/** An extension is a short final `.xyz` of the name, never the leading dot of a dotfile. */
const EXTENSION = /\.[^\s().\/]*$/;

/**
 * `notes.md` + tag -> `notes (conflict <tag>).md`; a folder, or a name without an
 * extension, gets the suffix at the end. The extension may not contain spaces or
 * parentheses, so the extension of the result is always that of the input: together
 * with fixed-length tags this makes distinct (path, tag) pairs give distinct names.
 */
export function conflictPath(path: string, tag: string, folder: boolean): string {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const m = folder ? null : EXTENSION.exec(name);
  const cut = m && m.index > 0 ? m.index : name.length;
  return `${path.slice(0, slash + 1)}${name.slice(0, cut)} (conflict ${tag})${name.slice(cut)}`;
}
