/**
 * ObjectFiles on the real disk (node:fs): how `weft peer` and the extension read a
 * binary file to store it and write a fetched object to its path. See
 * protocol/src/ports/object-files.ts for the contract.
 *
 * - Reads open with O_NOFOLLOW (the Folder checked the path; a link put there since is
 *   refused, not followed) and go 1 MiB at a time into a fresh buffer each.
 * - Writes go to `<path>.weft-tmp-<pid>-<n>` beside the target, created with O_CREAT |
 *   O_EXCL | O_NOFOLLOW (never through, or over, something already at that name), with
 *   the permission bits of the file it replaces (an executable stays executable). Commit:
 *   fsync, close, the caller's last check, rename, fsync of the folder.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ObjectSinkClosedError, TEMP_MARK, type ObjectFiles, type ObjectSink, type ObjectSource } from '../src/ports/object-files.js';
import { fsyncDirectory, writeFully } from './durable-fs.js';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const PIECE_BYTES = 1 << 20;

export class NodeObjectFiles implements ObjectFiles {
  private seq = 0;

  async *read(path: string): ObjectSource {
    const fh = await open(path, constants.O_RDONLY | NOFOLLOW);
    try {
      for (;;) {
        const buf = new Uint8Array(PIECE_BYTES);
        const { bytesRead } = await fh.read(buf, 0, PIECE_BYTES, null);
        if (bytesRead === 0) return;
        yield bytesRead === PIECE_BYTES ? buf : buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }

  async create(path: string): Promise<ObjectSink> {
    const before: Stats | undefined = await lstat(path).catch(() => undefined);
    const tmp = `${path}${TEMP_MARK}${process.pid}-${++this.seq}`;
    await rm(tmp, { force: true }); // left by a crashed process that had the same pid
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, before?.isFile() ? before.mode & 0o777 : 0o666);
    return new NodeObjectSink(path, tmp, fh);
  }
}

class NodeObjectSink implements ObjectSink {
  private written = 0;
  /** Open for writes until commit or discard; closed after either. */
  private fh: FileHandle | undefined;
  private done = false;

  constructor(
    private readonly path: string,
    private readonly tmp: string,
    fh: FileHandle,
  ) {
    this.fh = fh;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.done || !this.fh) throw new ObjectSinkClosedError(this.path);
    await writeFully(this.fh, bytes, this.written);
    this.written += bytes.length;
  }

  async commit(replace?: () => Promise<boolean>): Promise<boolean> {
    const fh = this.fh;
    if (this.done || !fh) throw new ObjectSinkClosedError(this.path);
    try {
      await fh.sync();
      this.fh = undefined;
      await fh.close();
      if (replace && !(await replace())) {
        await this.discard();
        return false;
      }
      await rename(this.tmp, this.path);
      this.done = true;
    } catch (err) {
      await this.discard();
      throw err;
    }
    await fsyncDirectory(dirname(this.path));
    return true;
  }

  async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}
