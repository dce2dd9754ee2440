/**
 * The hand-written codec (protocol/src/codec: ByteWriter/ByteReader, LEB128 varints,
 * versioned header, bounded lists) against cborg (a well-kept CBOR library, dev-only
 * baseline), on a commit-like record: 32-byte author key, 3 x 32-byte dependency ids,
 * a 200-byte payload and three varints (tools/samples/sample-record.ts).
 *   codec.encode_ms / codec.decode_ms: 100,000 encodes / decodes; 1 warm-up, median of 5.
 *   codec.encoded_bytes: the size of one record.
 * cborg gets its most compact form (an array, not a map with field names), and its
 * decode does no validation beyond CBOR well-formedness, while ours also checks kind,
 * version, lengths, limits and trailing bytes: a conservative comparison for us.
 */
import { decode as cborDecode, encode as cborEncode } from 'cborg';
import { decodeSampleRecord, encodeSampleRecord, makeSampleRecord, type SampleRecord } from '../tools/samples/sample-record.js';
import { record, timeMedian } from './report.js';

const N = 100_000;
const RUNS = 5;

type CborRecord = [Uint8Array, Uint8Array[], number, number, number, Uint8Array];
const toCbor = (r: SampleRecord): CborRecord => [r.author, r.deps, r.seq, r.time, r.skew, r.payload];

export async function run(): Promise<void> {
  const records = Array.from({ length: 64 }, (_, i) => makeSampleRecord(i));
  const ours = records.map(encodeSampleRecord);
  const theirs = records.map((r) => cborEncode(toCbor(r)));
  const input = 'commit-like record: 32 B key, 3 x 32 B deps, 200 B payload, 3 varints';

  let sink = 0;
  const encodeMs = await timeMedian(() => {
    for (let i = 0; i < N; i++) sink += encodeSampleRecord(records[i & 63]!).length;
  }, RUNS);
  const cborEncodeMs = await timeMedian(() => {
    for (let i = 0; i < N; i++) sink += cborEncode(toCbor(records[i & 63]!)).length;
  }, RUNS);
  record({ figure: 'codec.encode_ms', weft: round(encodeMs), unit: 'ms', baseline: 'cborg', baseline_value: round(cborEncodeMs), runs: RUNS, input: `${N} x ${input}` });

  const decodeMs = await timeMedian(() => {
    for (let i = 0; i < N; i++) sink += decodeSampleRecord(ours[i & 63]!).seq;
  }, RUNS);
  const cborDecodeMs = await timeMedian(() => {
    for (let i = 0; i < N; i++) sink += (cborDecode(theirs[i & 63]!) as CborRecord)[2];
  }, RUNS);
  record({ figure: 'codec.decode_ms', weft: round(decodeMs), unit: 'ms', baseline: 'cborg', baseline_value: round(cborDecodeMs), runs: RUNS, input: `${N} x ${input}` });

  const mapSize = cborEncode({ ...records[0]! }).length;
  record({
    figure: 'codec.encoded_bytes', weft: ours[0]!.length, unit: 'bytes', baseline: 'cborg', baseline_value: theirs[0]!.length, input,
    note: `cborg as an array; as a map with field names it is ${mapSize} bytes`,
  });
  if (sink === 42) console.log('');
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
