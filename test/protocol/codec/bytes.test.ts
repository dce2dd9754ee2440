import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../../protocol/src/codec/bytes.js';
import { DecodeError } from '../../../protocol/src/codec/errors.js';

describe('codec/bytes', () => {
  it('round-trips varints, strings and bytes', () => {
    const w = new ByteWriter(1);
    const nums = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 53 - 1];
    for (const n of nums) w.writeVarUint(n);
    for (const n of [-1, 0, 5, -(2 ** 40)]) w.writeVarInt(n);
    w.writeString('héllo 😀');
    w.writeString('x'.repeat(1000));
    w.writeBytes(new Uint8Array([1, 2, 3]));
    const r = new ByteReader(w.finish());
    for (const n of nums) assert.equal(r.readVarUint(), n);
    for (const n of [-1, 0, 5, -(2 ** 40)]) assert.equal(r.readVarInt(), n);
    assert.equal(r.readString(100), 'héllo 😀');
    assert.equal(r.readString(2000), 'x'.repeat(1000));
    assert.deepEqual([...r.readBytes(10)], [1, 2, 3]);
    r.expectEnd();
  });

  it('keeps a leading U+FEFF (a byte-order mark) in a string', () => {
    const w = new ByteWriter();
    w.writeString('\uFEFFfirst line');
    assert.equal(new ByteReader(w.finish()).readString(100), '\uFEFFfirst line');
  });

  it('refuses truncated, non-minimal, oversized and invalid input with DecodeError', () => {
    const cases: Array<[Uint8Array, (r: ByteReader) => unknown, string]> = [
      [new Uint8Array([0x80]), (r) => r.readVarUint(), 'truncated'],
      [new Uint8Array([0x80, 0x00]), (r) => r.readVarUint(), 'malformed'],
      [new Uint8Array(9).fill(0xff), (r) => r.readVarUint(), 'overflow'],
      [new Uint8Array([0x05, 1, 2]), (r) => r.readBytes(100), 'truncated'],
      [new Uint8Array([0x7f]), (r) => r.readBytes(10), 'too-large'],
      [new Uint8Array([0x02, 0xc3, 0x28]), (r) => r.readString(10), 'malformed'],
      [new Uint8Array([0x02]), (r) => r.readBool(), 'malformed'],
    ];
    for (const [bytes, f, code] of cases) {
      assert.throws(() => f(new ByteReader(bytes)), (e: unknown) => e instanceof DecodeError && e.code === code);
    }
  });
});
