import assert from 'node:assert/strict';
import { ByteWriter } from '../../../protocol/src/codec/bytes.js';
import { DecodeError, type DecodeErrorCode } from '../../../protocol/src/codec/errors.js';
import { decodeWith, readHeader, readList, writeHeader, writeList } from '../../../protocol/src/codec/message.js';
import { decodeSampleRecord, encodeSampleRecord, makeSampleRecord } from '../../../tools/samples/sample-record.js';

function code(fn: () => unknown): DecodeErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (err) {
    assert.ok(err instanceof DecodeError, `expected DecodeError, got ${String(err)}`);
    return err.code;
  }
}

const message = (kind: number, version: number, ...tail: number[]) => {
  const w = new ByteWriter();
  writeHeader(w, kind, version);
  for (const b of tail) w.writeU8(b);
  return w.finish();
};

describe('codec/message', () => {
  const readV = (bytes: Uint8Array) => decodeWith(bytes, 100, (r) => readHeader(r, 0x41, [1, 2]));

  it('header: kind and version bytes, checked on read', () => {
    assert.deepEqual(message(0x41, 2), Uint8Array.of(0x41, 2));
    assert.equal(readV(message(0x41, 2)), 2);
    assert.equal(code(() => readV(message(0x42, 1))), 'malformed');
    assert.equal(code(() => readV(message(0x41, 3))), 'version');
    assert.equal(code(() => readV(Uint8Array.of(0x41))), 'truncated');
    assert.throws(() => writeHeader(new ByteWriter(), 256, 1), RangeError);
    assert.throws(() => writeHeader(new ByteWriter(), 1, -1), RangeError);
  });

  it('decodeWith: size limit first, trailing bytes refused, foreign exceptions mapped', () => {
    assert.equal(code(() => readV(message(0x41, 1, 0))), 'malformed'); // trailing byte
    assert.equal(code(() => decodeWith(new Uint8Array(101), 100, () => assert.fail('must not run'))), 'too-large');
    assert.equal(code(() => decodeWith(new Uint8Array(1), 10, () => { throw new TypeError('boom'); })), 'malformed');
    assert.equal(code(() => decodeWith(new Uint8Array(1), 10, () => { throw 'a string'; })), 'malformed');
    assert.equal(code(() => decodeWith('nope' as unknown as Uint8Array, 10, () => 1)), 'malformed');
    assert.equal(decodeWith(new Uint8Array(0), 0, () => 'ok'), 'ok');
  });

  it('lists: round trip; a hostile count is refused before any allocation', () => {
    const w = new ByteWriter();
    writeList(w, [5, 300, 70000], (w, n) => w.writeVarUint(n));
    const bytes = w.finish();
    assert.deepEqual(decodeWith(bytes, 100, (r) => readList(r, 10, 1, (r) => r.readVarUint())), [5, 300, 70000]);
    assert.equal(code(() => decodeWith(bytes, 100, (r) => readList(r, 2, 1, (r) => r.readVarUint()))), 'too-large');
    const hostile = Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 1, 2); // count 2^28 - 1 with 2 bytes left
    assert.equal(code(() => decodeWith(hostile, 100, (r) => readList(r, 2 ** 30, 1, (r) => r.readU8()))), 'truncated');
  });

  it('readFixed never moves backwards on a computed negative length', () => {
    assert.equal(code(() => decodeWith(Uint8Array.of(1, 2, 3), 10, (r) => r.readFixed(-1))), 'malformed');
  });

  it('the sample record round-trips, and has a stable golden encoding', () => {
    const rec = makeSampleRecord(1);
    const bytes = encodeSampleRecord(rec);
    assert.deepEqual(decodeSampleRecord(bytes), rec);
    assert.equal(bytes.length, 2 + 32 + 1 + 96 + 2 + 6 + 1 + 2 + 200);
    assert.deepEqual([...bytes.subarray(0, 2)], [0x52, 1]);
    assert.equal(bytes[34], 3); // dependency count after the 32-byte author
  });
});
