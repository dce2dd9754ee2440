import assert from 'node:assert/strict';
import { ByteWriter } from '../../../protocol/src/codec/bytes.js';
import { prng } from '../../../protocol/sim/prng.js';
import {
  FrameDecoder,
  encodeFrame,
  encodeFrameHeader,
} from '../../../protocol/transport/frame-codec.js';
import { FrameFormatError, FrameTooLargeError } from '../../../protocol/src/ports/transport-errors.js';

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) decoder.push(c, (f) => out.push(f));
  return out;
}

describe('transport/frame-codec', () => {
  it('writes the length prefix as the codec varint (golden bytes)', () => {
    assert.deepEqual([...encodeFrameHeader(0)], [0x00]);
    assert.deepEqual([...encodeFrameHeader(127)], [0x7f]);
    assert.deepEqual([...encodeFrameHeader(128)], [0x80, 0x01]);
    assert.deepEqual([...encodeFrameHeader(300)], [0xac, 0x02]);
    assert.deepEqual([...encodeFrameHeader(4 * 1024 * 1024)], [0x80, 0x80, 0x80, 0x02]);
    for (const n of [0, 1, 127, 128, 16383, 16384, 4 * 1024 * 1024, 0x7fffffff]) {
      const w = new ByteWriter(1);
      w.writeVarUint(n);
      assert.deepEqual(encodeFrameHeader(n), w.finish(), `varint of ${n}`);
    }
    assert.deepEqual([...encodeFrame(new Uint8Array([9, 8]))], [2, 9, 8]);
  });

  it('reassembles frames from any split of the byte stream, in order (seeded)', () => {
    const seed = 20261101;
    const random = prng(seed);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const len = i % 50 === 0 ? Math.floor(random() * 70_000) : Math.floor(random() * 300);
      const f = new Uint8Array(len);
      for (let j = 0; j < len; j++) f[j] = (i * 31 + j) & 0xff;
      frames.push(f);
    }
    const wire = Buffer.concat(frames.map(encodeFrame));
    for (let round = 0; round < 20; round++) {
      const chunks: Uint8Array[] = [];
      for (let pos = 0; pos < wire.length; ) {
        const n = 1 + Math.floor(random() * (round % 2 === 0 ? 7 : 5000));
        chunks.push(wire.subarray(pos, pos + n));
        pos += n;
      }
      const got = decodeAll(new FrameDecoder(1 << 20), chunks);
      assert.equal(got.length, frames.length, `seed ${seed} round ${round}`);
      got.forEach((f, i) => assert.deepEqual(f, frames[i], `seed ${seed} round ${round} frame ${i}`));
    }
  });

  it('hands out plain Uint8Arrays, including zero-length frames', () => {
    const got = decodeAll(new FrameDecoder(), [Buffer.from([0, 1, 7, 0])]);
    assert.equal(got.length, 3);
    for (const f of got) assert.equal(Object.getPrototypeOf(f), Uint8Array.prototype);
    assert.deepEqual(got, [new Uint8Array(0), new Uint8Array([7]), new Uint8Array(0)]);
  });

  it('rejects an oversized length prefix before its last byte, without allocating', () => {
    const d = new FrameDecoder(1000);
    // 0xff 0xff 0xff 0xff 0x07 = 2^31 - 1, refused at the second byte (value already > 1000)
    assert.throws(
      () => d.push(new Uint8Array([0xff, 0xff]), () => assert.fail('no frame')),
      (e: unknown) => e instanceof FrameTooLargeError && e.direction === 'receive' && e.limit === 1000,
    );
    assert.throws(() => d.push(new Uint8Array([1, 2]), () => {}), FrameFormatError, 'dead after a failure');
    // exactly the limit passes
    const ok = decodeAll(new FrameDecoder(1000), [encodeFrame(new Uint8Array(1000))]);
    assert.equal(ok[0]!.byteLength, 1000);
    assert.throws(() => decodeAll(new FrameDecoder(1000), [encodeFrameHeader(1001)]), FrameTooLargeError);
  });

  it('rejects non-minimal and over-long prefixes', () => {
    assert.throws(() => decodeAll(new FrameDecoder(), [new Uint8Array([0x81, 0x00])]), FrameFormatError);
    assert.throws(
      () => decodeAll(new FrameDecoder(0x7fffffff), [new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])]),
      FrameFormatError,
    );
  });

  it('reports a frame cut short', () => {
    const d = new FrameDecoder();
    decodeAll(d, [encodeFrame(new Uint8Array(10)).subarray(0, 5)]);
    assert.equal(d.midFrame, true);
    assert.equal(d.bufferedBytes, 4);
    decodeAll(d, [new Uint8Array(6)]);
    assert.equal(d.midFrame, false);
  });
});
