/**
 * The snapshot file of a file log store: a cache of state derived from the first
 * `coversRecords` records, replaced atomically (write snapshot.tmp, fsync, rename over
 * snapshot, fsync the directory), so a crash leaves either the old or the new one.
 *
 * Format (version 1), integers little-endian:
 *   0   8  magic "WEFT-SNP"
 *   8   4  u32 format version (1)
 *   12  4  u32 crc32 of bytes 16..end
 *   16  8  u64 coversRecords
 *   24  .. snapshot bytes (to the end of the file)
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { errorCode, fsyncDirectory, writeFully } from './durable-fs.js';

export const SNAPSHOT_FILE = 'snapshot';
const SNAPSHOT_TEMP_FILE = 'snapshot.tmp';
const MAGIC = new TextEncoder().encode('WEFT-SNP');
const VERSION = 1;
const HEADER_BYTES = 24;

export interface Snapshot {
  bytes: Uint8Array;
  coversRecords: number;
}

export function encodeSnapshotFile(s: Snapshot): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + s.bytes.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, VERSION, true);
  view.setBigUint64(16, BigInt(s.coversRecords), true);
  out.set(s.bytes, HEADER_BYTES);
  view.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

/** The snapshot, or why it cannot be used. */
export function decodeSnapshotFile(buf: Uint8Array): Snapshot | string {
  if (buf.length < HEADER_BYTES) return 'snapshot file cut short';
  if (!MAGIC.every((b, i) => buf[i] === b)) return 'not a Weft snapshot (bad magic)';
  const view = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
  const version = view.getUint32(8, true);
  if (version !== VERSION) return `unsupported snapshot format version ${version}`;
  if (view.getUint32(12, true) !== crc32(buf.subarray(16))) return 'snapshot checksum mismatch';
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset + HEADER_BYTES, buf.length - HEADER_BYTES);
  return { bytes, coversRecords: Number(view.getBigUint64(16, true)) };
}

export async function writeSnapshotFile(dir: string, s: Snapshot): Promise<void> {
  const temp = join(dir, SNAPSHOT_TEMP_FILE);
  const fh = await open(temp, 'w');
  try {
    await writeFully(fh, encodeSnapshotFile(s), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, join(dir, SNAPSHOT_FILE));
  await fsyncDirectory(dir);
}

/** Reads the snapshot; a leftover temp file (a crash while writing one) is removed. */
export async function readSnapshotFile(dir: string): Promise<Snapshot | string | undefined> {
  await unlink(join(dir, SNAPSHOT_TEMP_FILE)).catch((err) => {
    if (errorCode(err) !== 'ENOENT') throw err;
  });
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, SNAPSHOT_FILE));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  return decodeSnapshotFile(buf);
}
