/**
 * On-disk format of PackChunkStore (chunk-store-pack.ts), version 1.
 *
 *   <dir>/00000001.pack ...   append-only pack files, each at most ~maxPackBytes
 *
 * A pack starts with a 16-byte header:
 *   0  8  magic "WEFTPACK"
 *   8  4  u32 format version (1)
 *   12 4  u32 pack number (= the file name)
 * then records, each:
 *   0  4  u32 body length
 *   4  4  u32 crc32 (zlib, IEEE) of the body
 *   8  .. body:
 *         u8  type: 1 PUT, 2 TOUCH, 3 DEAD
 *         32  chunk id (raw SHA-256)
 *         f64 storedAt (ms since the epoch, little-endian)
 *         PUT:   the chunk's bytes
 *         TOUCH: nothing (a put found the chunk stored: storedAt refreshed)
 *         DEAD:  u32 pack, u32 offset of the PUT record it kills (a tombstone)
 * All integers little-endian. A tombstone names a record's location, not just an id, so
 * it cannot kill a later re-put of the same id, and compaction may drop it once the
 * pack it points into is gone.
 */
import { crc32 } from 'node:zlib';
import { CHUNK_ID_BYTES, type ChunkId } from '../src/chunks/index.js';
import { fromHex, toHex } from '../src/crypto/index.js';

export const PACK_MAGIC = 'WEFTPACK';
export const PACK_VERSION = 1;
export const PACK_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
/** type + id + storedAt */
export const BODY_PREFIX_BYTES = 1 + CHUNK_ID_BYTES + 8;
/** Chunks are at most a few hundred KiB; anything larger in a length field is damage. */
export const MAX_RECORD_BODY_BYTES = 16 * 1024 * 1024;

export const enum RecordType {
  Put = 1,
  Touch = 2,
  Dead = 3,
}

export function packFileName(n: number): string {
  return `${String(n).padStart(8, '0')}.pack`;
}

export function packNumberOf(name: string): number | undefined {
  const m = /^(\d{8})\.pack$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function encodePackHeader(packNumber: number): Buffer {
  const out = Buffer.alloc(PACK_HEADER_BYTES);
  out.write(PACK_MAGIC, 0, 'latin1');
  out.writeUInt32LE(PACK_VERSION, 8);
  out.writeUInt32LE(packNumber, 12);
  return out;
}

export function checkPackHeader(buf: Buffer, packNumber: number): string | undefined {
  if (buf.length < PACK_HEADER_BYTES) return 'pack header is cut short';
  if (buf.toString('latin1', 0, 8) !== PACK_MAGIC) return 'not a Weft pack file (bad magic)';
  if (buf.readUInt32LE(8) !== PACK_VERSION) return `pack format version ${buf.readUInt32LE(8)} is not supported`;
  if (buf.readUInt32LE(12) !== packNumber) return `pack header says number ${buf.readUInt32LE(12)}, the file name ${packNumber}`;
  return undefined;
}

/**
 * The header and body prefix of a record (everything but a PUT's chunk bytes), as one
 * buffer; the crc covers `tail` too, which the caller writes right after it (no copy).
 */
export function encodeRecordHead(type: RecordType, id: ChunkId, storedAt: number, tail: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(RECORD_HEADER_BYTES + BODY_PREFIX_BYTES);
  head.writeUInt32LE(BODY_PREFIX_BYTES + tail.length, 0);
  head.writeUInt8(type, 8);
  head.set(fromHex(id), 9);
  head.writeDoubleLE(storedAt, 9 + CHUNK_ID_BYTES);
  const prefix = head.subarray(RECORD_HEADER_BYTES);
  head.writeUInt32LE(crc32(tail, crc32(prefix)), 4);
  return head;
}

export function encodeDeadTail(pack: number, offset: number): Buffer {
  const t = Buffer.allocUnsafe(8);
  t.writeUInt32LE(pack, 0);
  t.writeUInt32LE(offset, 4);
  return t;
}

export interface ScannedRecord {
  readonly type: RecordType;
  readonly id: ChunkId;
  readonly storedAt: number;
  /** Offset of the record (its header) in the pack. */
  readonly offset: number;
  /** Offset and length of a PUT's chunk bytes. */
  readonly dataOffset: number;
  readonly dataLength: number;
  /** A DEAD record's target. */
  readonly target?: { pack: number; offset: number };
}

export interface ScanResult {
  readonly records: ScannedRecord[];
  /** Where the valid records end; < buf.length when the tail is torn or damaged. */
  readonly validEnd: number;
  readonly damage?: string;
}

/** Reads every record of a pack (already header-checked) until the end or the first bad record. */
export function scanPack(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  let at = PACK_HEADER_BYTES;
  while (at < buf.length) {
    if (at + RECORD_HEADER_BYTES > buf.length) return { records, validEnd: at, damage: 'record header cut short' };
    const len = buf.readUInt32LE(at);
    if (len < BODY_PREFIX_BYTES || len > MAX_RECORD_BODY_BYTES) return { records, validEnd: at, damage: `record length ${len} out of range` };
    const bodyAt = at + RECORD_HEADER_BYTES;
    if (bodyAt + len > buf.length) return { records, validEnd: at, damage: 'record body cut short' };
    const body = buf.subarray(bodyAt, bodyAt + len);
    if (crc32(body) !== buf.readUInt32LE(at + 4)) return { records, validEnd: at, damage: 'record checksum mismatch' };
    const type = body[0] as RecordType;
    const id = toHex(body.subarray(1, 1 + CHUNK_ID_BYTES)) as ChunkId;
    const storedAt = body.readDoubleLE(1 + CHUNK_ID_BYTES);
    const dataOffset = bodyAt + BODY_PREFIX_BYTES;
    const dataLength = len - BODY_PREFIX_BYTES;
    if (type === RecordType.Put || type === RecordType.Touch) {
      records.push({ type, id, storedAt, offset: at, dataOffset, dataLength });
    } else if (type === RecordType.Dead && dataLength === 8) {
      const target = { pack: body.readUInt32LE(BODY_PREFIX_BYTES), offset: body.readUInt32LE(BODY_PREFIX_BYTES + 4) };
      records.push({ type, id, storedAt, offset: at, dataOffset, dataLength, target });
    } else {
      return { records, validEnd: at, damage: `unknown record type ${type}` };
    }
    at = bodyAt + len;
  }
  return { records, validEnd: at };
}
