/**
 * A ChunkStore in a directory: one file per chunk at dir/<first two hex digits>/<id>,
 * so no directory holds more than ~1/256 of the chunks.
 *
 * Writes are atomic: the bytes go to a temporary file in the same directory, which is
 * renamed to the id. Without `durable`, nothing is fsynced (10,000+ chunks per 200 MB
 * file make an fsync each far too slow): after a power loss a recent chunk may be
 * missing or, on some file systems, truncated. Both are safe: every read verifies the
 * bytes against the id and deletes a damaged file, so the chunk reads as missing and is
 * fetched or stored again. With `durable`, each chunk and its directory entry are
 * fsynced before put() returns.
 *
 * storedAt is the file's modification time, set from `now` when a clock is injected
 * and refreshed when a put finds the chunk already stored.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isChunkId, matchesId, type ChunkId } from '../src/chunks/index.js';
import { errorCode, fsyncDirectory, writeFully } from './durable-fs.js';
import { verifyChunk, type ChunkStore, type ChunkStoreStats, type PutResult, type StoredChunkInfo } from '../src/ports/chunk-store.js';

export interface FileChunkStoreInit {
  /** fsync every chunk and its directory entry (slow; default false). */
  readonly durable?: boolean;
  /** Milliseconds since the epoch for storedAt; default: the file system's clock. */
  readonly now?: () => number;
}

const TEMP_MARK = '.tmp-';

export class FileChunkStore implements ChunkStore {
  private readonly madeDirs = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly init: FileChunkStoreInit = {},
  ) {}

  private pathOf(id: ChunkId): { sub: string; file: string } {
    if (!isChunkId(id)) throw new RangeError(`not a chunk id: ${String(id).slice(0, 70)}`);
    const sub = join(this.dir, id.slice(0, 2));
    return { sub, file: join(sub, id) };
  }

  async has(id: ChunkId): Promise<boolean> {
    try {
      await stat(this.pathOf(id).file);
      return true;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async get(id: ChunkId): Promise<Uint8Array | undefined> {
    const { file } = this.pathOf(id);
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (!matchesId(id, bytes)) {
      await unlink(file).catch(() => {});
      return undefined;
    }
    return bytes;
  }

  async put(id: ChunkId, bytes: Uint8Array): Promise<PutResult> {
    verifyChunk(id, bytes);
    return this.putSealed(id, bytes);
  }

  /** Stores a chunk whose id the caller computed from these bytes (not re-hashed). */
  async putSealed(id: ChunkId, bytes: Uint8Array): Promise<PutResult> {
    const { sub, file } = this.pathOf(id);
    if (await this.touchIfPresent(file)) return { bytesStored: 0 };
    if (!this.madeDirs.has(sub)) {
      await mkdir(sub, { recursive: true });
      this.madeDirs.add(sub);
    }
    const temp = file + TEMP_MARK + randomBytes(6).toString('hex');
    try {
      if (this.init.durable) {
        const fh = await open(temp, 'wx');
        try {
          await writeFully(fh, bytes, 0);
          await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        await writeFile(temp, bytes, { flag: 'wx' });
      }
      if (this.init.now) {
        const t = this.init.now() / 1000;
        await utimes(temp, t, t);
      }
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
    if (this.init.durable) await fsyncDirectory(sub);
    return { bytesStored: bytes.length };
  }

  /** Refreshes storedAt of a stored chunk; false when it is not stored. */
  private async touchIfPresent(file: string): Promise<boolean> {
    const t = (this.init.now?.() ?? Date.now()) / 1000;
    try {
      await utimes(file, t, t);
      return true;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  /** With `ifStoredBefore`, the file's time is checked just before the unlink (not atomically). */
  async delete(id: ChunkId, ifStoredBefore?: number): Promise<boolean> {
    const { file } = this.pathOf(id);
    try {
      if (ifStoredBefore !== undefined && (await stat(file)).mtimeMs > ifStoredBefore) return false;
      await unlink(file);
      return true;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async *list(): AsyncIterable<StoredChunkInfo> {
    let subs: string[];
    try {
      subs = await readdir(this.dir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const sub of subs.sort()) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const name of (await readdir(join(this.dir, sub))).sort()) {
        if (!isChunkId(name)) continue; // temporary files of interrupted writes
        try {
          const s = await stat(join(this.dir, sub, name));
          yield { id: name, bytes: s.size, storedAt: s.mtimeMs };
        } catch (err) {
          if (errorCode(err) !== 'ENOENT') throw err; // deleted meanwhile
        }
      }
    }
  }

  async stats(): Promise<ChunkStoreStats> {
    let chunks = 0;
    let bytes = 0;
    for await (const c of this.list()) {
      chunks++;
      bytes += c.bytes;
    }
    return { chunks, bytes };
  }
}
