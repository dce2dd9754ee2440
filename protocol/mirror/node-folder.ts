/**
 * A real folder on disk (node:fs), kept safe for the member who owns it:
 *
 * - No write leaves the folder. Every folder on the way to a file is checked with
 *   lstat and refused if it is a symbolic link or a junction (created folders are checked
 *   again after mkdir); the parent's real path must be the root's real path plus the
 *   share path. The final name is never followed either: reads open with O_NOFOLLOW,
 *   writes go to a fresh temporary file in the same folder (O_CREAT | O_EXCL |
 *   O_NOFOLLOW) that is renamed over the target only after an lstat shows the target is
 *   a regular file or nothing, and after the folders on the way are checked once more.
 *   (A rename replaces a link itself, never what it points to; the check keeps a
 *   member's own link from being replaced.) Node has no openat(), so a folder swapped for
 *   a link between the last check and the rename is the remaining window: microseconds,
 *   and only by a local process of the member's own.
 * - Writes are atomic and durable: fsync of the file, rename, fsync of the folder. An
 *   existing file keeps its permission bits (an executable script stays executable).
 * - `.git`, `.weft` (in every spelling, share/paths.ts) and temporary files are never
 *   listed; paths not in normal form are refused.
 */
import { constants, type Dirent } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rename, rmdir, unlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TEMP_MARK } from '../src/ports/object-files.js';
import { pathProblem } from '../src/share/paths.js';
import { errorCode, fsyncDirectory, writeFully } from '../storage/durable-fs.js';
import { UnsafePathError, type FileStat, type Folder } from './folder.js';

/** Temporary files of this folder (its writes and ObjectFiles' in progress, or left by a crash): never listed. */
export { TEMP_MARK };
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function matches(now: { size: number; mtimeMs: number } | undefined, expected: FileStat | 'absent'): boolean {
  if (expected === 'absent') return now === undefined;
  return now !== undefined && now.size === expected.size && now.mtimeMs === expected.mtimeMs;
}

export class NodeFolder implements Folder {
  private constructor(
    /** The root's real path (no link in it). */
    readonly root: string,
  ) {}

  /** Opens a folder that exists; its own path may go through links (the member chose it). */
  static async open(root: string): Promise<NodeFolder> {
    const real = await realpath(root);
    if (!(await lstat(real)).isDirectory()) throw new Error(`${root} is not a folder`);
    return new NodeFolder(real);
  }

  private absolute(path: string): string {
    const problem = pathProblem(path);
    if (problem) throw new UnsafePathError('protected', path, `not a path a share may hold (${problem})`);
    return join(this.root, ...path.split('/'));
  }

  /**
   * Checks every folder on the way to `path`; creates the missing ones when `create`.
   * Returns the parent's absolute path, or undefined if a folder is missing (and not created).
   */
  private async parentOf(path: string, create: boolean): Promise<string | undefined> {
    const segments = path.split('/').slice(0, -1);
    let dir = this.root;
    for (const segment of segments) {
      dir = join(dir, segment);
      let st = await lstat(dir).catch((err: unknown) => {
        if (errorCode(err) === 'ENOENT') return undefined;
        throw err;
      });
      if (!st && !create) return undefined;
      if (!st) {
        await mkdir(dir).catch((err: unknown) => {
          if (errorCode(err) !== 'EEXIST') throw err;
        });
        st = await lstat(dir);
      }
      if (st.isSymbolicLink()) throw new UnsafePathError('link', path, `${dir} is a link: Weft never writes through a link`);
      if (!st.isDirectory()) throw new UnsafePathError('not-a-file', path, `${dir} is not a folder`);
    }
    // A junction or a bind of some other kind that lstat does not show still changes the real path.
    if ((await realpath(dir)) !== dir) throw new UnsafePathError('link', path, `${dir} leads outside the shared folder`);
    return dir;
  }

  /** What lies at an absolute path: a regular file's stat, undefined if nothing, else throws. */
  private async fileAt(abs: string, path: string): Promise<FileStat | undefined> {
    const st = await lstat(abs).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!st) return undefined;
    if (st.isSymbolicLink()) throw new UnsafePathError('link', path, 'is a link: Weft never reads, writes or replaces a link');
    if (!st.isFile()) throw new UnsafePathError('not-a-file', path, 'is not a regular file');
    return { size: st.size, mtimeMs: st.mtimeMs };
  }

  async list(): Promise<Map<string, FileStat>> {
    const out = new Map<string, FileStat>();
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // vanished or unreadable: nothing of it is listed
      }
      for (const e of entries) {
        if (e.name.includes(TEMP_MARK)) continue;
        const path = prefix ? `${prefix}/${e.name}` : e.name;
        if (pathProblem(path)) continue; // .git, .weft, names no share may hold
        const abs = join(dir, e.name);
        if (e.isDirectory()) await walk(abs, path);
        else if (e.isFile()) {
          const st = await lstat(abs).catch(() => undefined);
          if (st?.isFile()) out.set(path, { size: st.size, mtimeMs: st.mtimeMs });
        }
        // Links (to files or folders), sockets and devices are not files of the share.
      }
    };
    await walk(this.root, '');
    return out;
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    const abs = this.absolute(path);
    if ((await this.parentOf(path, false)) === undefined) return undefined;
    if (!(await this.fileAt(abs, path))) return undefined;
    let fh;
    try {
      fh = await open(abs, constants.O_RDONLY | NOFOLLOW);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      if (errorCode(err) === 'ELOOP') throw new UnsafePathError('link', path, 'is a link: Weft never reads through a link');
      throw err;
    }
    try {
      return new Uint8Array(await fh.readFile());
    } finally {
      await fh.close();
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const abs = this.absolute(path);
    if ((await this.parentOf(path, false)) === undefined) return undefined;
    return this.fileAt(abs, path);
  }

  async write(path: string, bytes: Uint8Array, expected?: FileStat | 'absent'): Promise<FileStat | undefined> {
    const abs = this.absolute(path);
    const parent = (await this.parentOf(path, true))!;
    const before = await lstat(abs).catch(() => undefined);
    if (before?.isSymbolicLink()) throw new UnsafePathError('link', path, 'is a link: Weft never replaces a link');
    if (before && !before.isFile()) throw new UnsafePathError('not-a-file', path, 'is not a regular file');
    const tmp = join(parent, `${TEMP_MARK}${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, before ? before.mode & 0o777 : 0o666);
    try {
      await writeFully(fh, bytes, 0);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    try {
      await this.parentOf(path, false);
      const now = await lstat(abs).catch(() => undefined);
      if (now?.isSymbolicLink()) throw new UnsafePathError('link', path, 'became a link: Weft never replaces a link');
      if (now && !now.isFile()) throw new UnsafePathError('not-a-file', path, 'is not a regular file');
      // Checked after the fsync, right before the rename: what someone wrote meanwhile is kept.
      if (expected !== undefined && !matches(now, expected)) {
        await unlink(tmp).catch(() => undefined);
        return undefined;
      }
      await rename(tmp, abs);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fsyncDirectory(parent);
    const st = await lstat(abs);
    return { size: st.size, mtimeMs: st.mtimeMs };
  }

  async remove(path: string): Promise<void> {
    const abs = this.absolute(path);
    const parent = await this.parentOf(path, false);
    if (parent === undefined || !(await this.fileAt(abs, path))) return;
    await unlink(abs).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') throw err;
    });
    await fsyncDirectory(parent);
    await this.dropEmptyFolders(parent);
  }

  /** Folders a removed or moved file left empty go too (a teammate's delete of a folder's last file). */
  private async dropEmptyFolders(from: string): Promise<void> {
    for (let dir = from; dir !== this.root && dir.startsWith(this.root + sep); dir = join(dir, '..')) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or gone): stop climbing
      }
    }
  }

  async rename(from: string, to: string): Promise<boolean> {
    const absFrom = this.absolute(from);
    const absTo = this.absolute(to);
    if ((await this.parentOf(from, false)) === undefined || !(await this.fileAt(absFrom, from))) return false;
    const parent = (await this.parentOf(to, true))!;
    if (await this.fileAt(absTo, to).catch(() => true)) return false;
    // link + unlink never replaces a file that appeared at `to` meanwhile (rename would).
    try {
      await link(absFrom, absTo);
    } catch (err) {
      if (errorCode(err) === 'EEXIST') return false;
      if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP'].includes(errorCode(err) ?? '')) throw err;
      await rename(absFrom, absTo); // a file system without hard links
      await fsyncDirectory(parent);
      return true;
    }
    await unlink(absFrom);
    await fsyncDirectory(parent);
    await this.dropEmptyFolders(join(absFrom, '..'));
    return true;
  }

  async pathForRead(path: string): Promise<string> {
    const abs = this.absolute(path);
    if ((await this.parentOf(path, false)) === undefined || !(await this.fileAt(abs, path))) throw new UnsafePathError('not-a-file', path, 'no file there');
    return abs;
  }

  async pathForWrite(path: string): Promise<string> {
    const abs = this.absolute(path);
    await this.parentOf(path, true);
    if ((await lstat(abs).catch(() => undefined))?.isSymbolicLink()) throw new UnsafePathError('link', path, 'is a link: Weft never replaces a link');
    return abs;
  }
}
