/**
 * A commit-like record, the representative message for the codec benchmark and an
 * example fuzz target. Not a Weft wire format; it has the shape of one:
 *   u8 kind 0x52 ('R'), u8 version 1
 *   32        author key
 *   var n     dependency count (<= 64), n x 32-byte ids
 *   var       sequence number, var timestamp (ms), zig-zag var clock skew
 *   var len   payload (<= 64 KiB)
 */
import { ByteWriter, type ByteReader, decodeWith, readHeader, readList, writeHeader, writeList } from '../../protocol/src/index.js';

export interface SampleRecord {
  author: Uint8Array;
  deps: Uint8Array[];
  seq: number;
  time: number;
  skew: number;
  payload: Uint8Array;
}

export const SAMPLE_RECORD_KIND = 0x52;
const MAX_DEPS = 64;
const MAX_PAYLOAD = 64 * 1024;
const MAX_RECORD_BYTES = 1 + 1 + 32 + 9 + MAX_DEPS * 32 + 3 * 9 + 4 + MAX_PAYLOAD;

export function encodeSampleRecord(rec: SampleRecord): Uint8Array {
  const w = new ByteWriter(64 + rec.deps.length * 32 + rec.payload.length);
  writeHeader(w, SAMPLE_RECORD_KIND, 1);
  w.writeFixed(rec.author);
  writeList(w, rec.deps, (w, d) => w.writeFixed(d));
  w.writeVarUint(rec.seq);
  w.writeVarUint(rec.time);
  w.writeVarInt(rec.skew);
  w.writeBytes(rec.payload);
  return w.finish();
}

export function decodeSampleRecord(bytes: Uint8Array): SampleRecord {
  return decodeWith(bytes, MAX_RECORD_BYTES, (r: ByteReader) => {
    readHeader(r, SAMPLE_RECORD_KIND, [1]);
    const author = r.readFixed(32);
    const deps = readList(r, MAX_DEPS, 32, (r) => r.readFixed(32), 'dependencies');
    return { author, deps, seq: r.readVarUint(), time: r.readVarUint(), skew: r.readVarInt(), payload: r.readBytes(MAX_PAYLOAD, 'payload') };
  }, 'sample record');
}

/** A deterministic record: 3 dependencies and a 200-byte payload by default. */
export function makeSampleRecord(i: number, deps = 3, payloadBytes = 200): SampleRecord {
  const fill = (n: number, k: number) => Uint8Array.from({ length: n }, (_, j) => (j * 31 + k * 7 + i) & 0xff);
  return {
    author: fill(32, 1),
    deps: Array.from({ length: deps }, (_, d) => fill(32, d + 2)),
    seq: 1000 + i,
    time: 1_760_000_000_000 + i * 37,
    skew: (i % 2 ? -1 : 1) * (i * 13),
    payload: fill(payloadBytes, 99),
  };
}
