/**
 * Opening a file log store's segments: read every segment, verify every frame, and
 * recover the one thing a crash can leave behind, a torn or damaged tail of the last
 * segment, by truncating it (reported). Anything else (a damaged earlier segment,
 * damage followed by intact records, a missing segment) raises CorruptStoreError and
 * changes nothing on disk. Format: segment-format.ts.
 */
import { open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, writeFully } from './durable-fs.js';
import { CorruptStoreError, type RecoveryReport } from '../src/ports/log-store.js';
import {
  SEGMENT_HEADER_BYTES,
  classifyDamage,
  decodeSegmentHeader,
  encodeSegmentHeader,
  parseSegmentFileName,
  readFrame,
  segmentFileName,
  type FrameRead,
} from './segment-format.js';

export interface LoadedSegments {
  records: Uint8Array[];
  /** The last segment, where appends continue; `size` is its length after recovery. */
  last: { segmentNumber: number; size: number };
  recovered?: RecoveryReport;
}

export async function loadSegments(dir: string): Promise<LoadedSegments> {
  const numbers = (await readdir(dir))
    .map(parseSegmentFileName)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  if (numbers.length === 0) {
    await createSegment(dir, 1, 0);
    return { records: [], last: { segmentNumber: 1, size: SEGMENT_HEADER_BYTES } };
  }
  numbers.forEach((n, i) => {
    if (n !== i + 1) throw new CorruptStoreError(segmentFileName(i + 1), 0, 'segment file missing');
  });

  const records: Uint8Array[] = [];
  let recovered: RecoveryReport | undefined;
  let lastSize = 0;
  for (const n of numbers) {
    const name = segmentFileName(n);
    const isLast = n === numbers.length;
    const buf = await readFile(join(dir, name));
    const header = decodeSegmentHeader(buf);
    if (typeof header === 'string') {
      // A crash while creating the newest segment leaves at most a header's worth of bytes.
      if (!isLast || buf.length > SEGMENT_HEADER_BYTES) throw new CorruptStoreError(name, 0, header);
      await rewriteSegmentHeader(dir, n, records.length);
      recovered = { truncatedBytes: buf.length, reason: `new segment: ${header}`, segment: name, offset: 0 };
      lastSize = SEGMENT_HEADER_BYTES;
      break;
    }
    if (header.segmentNumber !== n) {
      throw new CorruptStoreError(name, 12, `header names segment ${header.segmentNumber}`);
    }
    if (header.firstRecord !== records.length) {
      throw new CorruptStoreError(name, 16, `starts at record ${header.firstRecord}, expected ${records.length}`);
    }
    let pos = SEGMENT_HEADER_BYTES;
    while (pos < buf.length) {
      const frame = readFrame(buf, pos);
      if (frame.kind === 'ok') {
        records.push(frame.payload);
        pos = frame.next;
        continue;
      }
      if (!isLast) throw new CorruptStoreError(name, pos, describeDamage(frame));
      const verdict = classifyDamage(buf, pos, frame);
      if (verdict.kind === 'corrupt') throw new CorruptStoreError(name, pos, verdict.reason);
      await truncateSegment(join(dir, name), pos);
      recovered = { truncatedBytes: buf.length - pos, reason: verdict.reason, segment: name, offset: pos };
      break;
    }
    lastSize = pos;
  }
  return { records, last: { segmentNumber: numbers.length, size: lastSize }, ...(recovered ? { recovered } : {}) };
}

/** Creates segment `n` (which must not exist) holding only its header, durably. */
export async function createSegment(dir: string, n: number, firstRecord: number): Promise<void> {
  const fh = await open(join(dir, segmentFileName(n)), 'wx');
  try {
    await writeFully(fh, encodeSegmentHeader({ segmentNumber: n, firstRecord }), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDirectory(dir);
}

async function rewriteSegmentHeader(dir: string, n: number, firstRecord: number): Promise<void> {
  const fh = await open(join(dir, segmentFileName(n)), 'r+');
  try {
    await fh.truncate(0);
    await writeFully(fh, encodeSegmentHeader({ segmentNumber: n, firstRecord }), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function truncateSegment(path: string, size: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function describeDamage(frame: Exclude<FrameRead, { kind: 'ok' }>): string {
  switch (frame.kind) {
    case 'torn-header':
      return 'segment ends inside a frame header (only the last segment may)';
    case 'torn-payload':
      return `segment ends inside a ${frame.length}-byte record (only the last segment may)`;
    case 'bad-header':
      return 'frame header checksum mismatch';
    case 'bad-payload':
      return 'record checksum mismatch';
  }
}
