import assert from 'node:assert/strict';
import { DecodeError } from '../../../protocol/src/codec/errors.js';
import { decodeWire, encodeWire } from '../../../protocol/src/multicast/wire.js';
import { wireSamples } from './wire-samples.js';

describe('multicast/wire', () => {
  it('round-trips every message type', () => {
    for (const m of wireSamples) assert.deepEqual(decodeWire(encodeWire(m)), m);
  });

  it('refuses unknown types, bad headers and trailing bytes with DecodeError', () => {
    const good = encodeWire(wireSamples[2]!);
    for (const bad of [new Uint8Array([0x4d, 1, 99]), new Uint8Array([0x4d, 2, 1]), new Uint8Array([0x43, 1, 1]), new Uint8Array([...good, 0])]) {
      assert.throws(() => decodeWire(bad), DecodeError);
    }
  });
});
