/**
 * On-disk format of the file log store's segments (format version 1).
 *
 * A store is a directory:
 *   00000001.seg, 00000002.seg, ...   segments, numbered from 1 without gaps
 *   snapshot                          optional, see snapshot-file.ts
 *   LOCK                              pid of the holding process, see file-lock.ts
 *
 * Segment = header (32 bytes) then frames, all integers little-endian:
 *   0   8  magic "WEFT-SEG"
 *   8   4  u32 format version (1)
 *   12  4  u32 segment number (equals the number in the file name)
 *   16  8  u64 index of the segment's first record in the whole log
 *   24  4  u32 reserved, 0
 *   28  4  u32 crc32 of bytes 0..28
 *
 * Frame = 12-byte frame header then the payload (one record, opaque bytes):
 *   0   4  u32 payload length
 *   4   4  u32 crc32 of the payload
 *   8   4  u32 crc32 of bytes 0..8 of this frame header
 *
 * The frame header has its own checksum so a length can be trusted before its
 * payload is read: a torn tail (file ends inside a frame whose header is intact) is
 * told apart from a damaged length, and after damage the rest of the segment can be
 * searched for intact frames cheaply, which is how damage in the middle of a log is
 * told apart from a damaged tail (see classifyDamage). crc32 is zlib's (IEEE).
 */
import { crc32 } from 'node:zlib';

export const SEGMENT_MAGIC = new TextEncoder().encode('WEFT-SEG');
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 32;
export const FRAME_HEADER_BYTES = 12;
/** A frame's length is a u32; records are also bounded by what one Buffer can hold. */
export const MAX_FRAME_PAYLOAD_BYTES = 2 ** 31 - 1;

const SEGMENT_NAME = /^(\d{8})\.seg$/;

export function segmentFileName(segmentNumber: number): string {
  return `${String(segmentNumber).padStart(8, '0')}.seg`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

export interface SegmentHeader {
  segmentNumber: number;
  firstRecord: number;
}

export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const out = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(out.buffer);
  out.set(SEGMENT_MAGIC, 0);
  view.setUint32(8, SEGMENT_FORMAT_VERSION, true);
  view.setUint32(12, h.segmentNumber, true);
  view.setBigUint64(16, BigInt(h.firstRecord), true);
  view.setUint32(28, crc32(out.subarray(0, 28)), true);
  return out;
}

/** The header, or why it cannot be read. */
export function decodeSegmentHeader(buf: Uint8Array): SegmentHeader | string {
  if (buf.length < SEGMENT_HEADER_BYTES) return `segment header cut short (${buf.length} bytes)`;
  const view = new DataView(buf.buffer, buf.byteOffset, SEGMENT_HEADER_BYTES);
  if (view.getUint32(28, true) !== crc32(buf.subarray(0, 28))) return 'segment header checksum mismatch';
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
    if (buf[i] !== SEGMENT_MAGIC[i]) return 'not a Weft log segment (bad magic)';
  }
  const version = view.getUint32(8, true);
  if (version !== SEGMENT_FORMAT_VERSION) return `unsupported segment format version ${version}`;
  const firstRecord = Number(view.getBigUint64(16, true));
  return { segmentNumber: view.getUint32(12, true), firstRecord };
}

/** The frames of `records`, concatenated. */
export function encodeFrames(records: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const r of records) total += FRAME_HEADER_BYTES + r.byteLength;
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const r of records) {
    out.writeUInt32LE(r.byteLength, pos);
    out.writeUInt32LE(crc32(r), pos + 4);
    out.writeUInt32LE(crc32(out.subarray(pos, pos + 8)), pos + 8);
    out.set(r, pos + FRAME_HEADER_BYTES);
    pos += FRAME_HEADER_BYTES + r.byteLength;
  }
  return out;
}

export type FrameRead =
  | { kind: 'ok'; payload: Uint8Array; next: number }
  | { kind: 'torn-header' } // fewer than FRAME_HEADER_BYTES left
  | { kind: 'bad-header' } // frame header checksum mismatch: the length cannot be trusted
  | { kind: 'torn-payload'; length: number } // intact header, the file ends inside the payload
  | { kind: 'bad-payload'; next: number }; // intact header, payload checksum mismatch

export function readFrame(buf: Buffer, pos: number): FrameRead {
  if (buf.length - pos < FRAME_HEADER_BYTES) return { kind: 'torn-header' };
  if (buf.readUInt32LE(pos + 8) !== crc32(buf.subarray(pos, pos + 8))) return { kind: 'bad-header' };
  const length = buf.readUInt32LE(pos);
  const start = pos + FRAME_HEADER_BYTES;
  if (length > buf.length - start) return { kind: 'torn-payload', length };
  const payload = new Uint8Array(buf.buffer, buf.byteOffset + start, length);
  if (buf.readUInt32LE(pos + 4) !== crc32(payload)) return { kind: 'bad-payload', next: start + length };
  return { kind: 'ok', payload, next: start + length };
}

/** Offset of the first intact frame starting at or after `from`, or -1. */
export function findIntactFrame(buf: Buffer, from: number): number {
  for (let p = from; p + FRAME_HEADER_BYTES <= buf.length; p++) {
    // Cheap filter first: an intact frame's payload fits in the file.
    if (buf.readUInt32LE(p) > buf.length - p - FRAME_HEADER_BYTES) continue;
    if (readFrame(buf, p).kind === 'ok') return p;
  }
  return -1;
}

export type DamageVerdict =
  | { kind: 'tail'; reason: string }
  | { kind: 'corrupt'; reason: string };

/**
 * Decides whether damage found at `offset` of the LAST segment is a tail to cut
 * (a write cut short by a crash, or a damaged last frame) or damage in the middle of
 * the log (an intact frame follows it), which must never be cut silently.
 */
export function classifyDamage(buf: Buffer, offset: number, frame: FrameRead): DamageVerdict {
  switch (frame.kind) {
    case 'torn-header':
      return { kind: 'tail', reason: 'file ends inside a frame header' };
    case 'torn-payload':
      return { kind: 'tail', reason: `file ends inside a ${frame.length}-byte record` };
    case 'bad-header':
    case 'bad-payload': {
      const what = frame.kind === 'bad-header' ? 'frame header' : 'record';
      if (isAllZero(buf, offset)) return { kind: 'tail', reason: `zero-filled tail (${what} checksum mismatch)` };
      // A damaged payload has a trusted length: search after it, not inside it.
      const from = frame.kind === 'bad-payload' ? frame.next : offset + 1;
      const intact = findIntactFrame(buf, from);
      if (intact < 0) return { kind: 'tail', reason: `${what} checksum mismatch in the last frame(s)` };
      return { kind: 'corrupt', reason: `${what} checksum mismatch, followed by an intact record at byte ${intact}` };
    }
    case 'ok':
      throw new Error('classifyDamage called on an intact frame');
  }
}

function isAllZero(buf: Uint8Array, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
