import assert from 'node:assert/strict';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256, sha256Hex, toHex } from '../../../protocol/src/crypto/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('crypto/sha256', () => {
  it('SHA-256 and its hex form match the FIPS 180-2 vectors for "" and "abc"', () => {
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    assert.equal(toHex(sha256(new Uint8Array(0))), empty);
    assert.equal(sha256Hex(new Uint8Array(0)), empty);
    assert.equal(toHex(sha256(enc('abc'))), abc);
    assert.equal(sha256Hex(enc('abc')), abc);
  });

  it('sha256Hex is toHex(sha256(x)) and noble SHA-256, for sizes around block and chunk sizes, and for views', () => {
    const big = new Uint8Array(70_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >>> 8)) & 0xff;
    for (const n of [1, 55, 56, 63, 64, 65, 1000, 8192, 16_384, 65_536, 70_000]) {
      const x = big.subarray(0, n);
      const hex = sha256Hex(x);
      assert.equal(hex, toHex(sha256(x)), `size ${n}`);
      assert.equal(hex, toHex(nobleSha256(x)), `size ${n} (noble)`);
    }
    const view = big.subarray(3, 5003);
    assert.equal(sha256Hex(view), toHex(nobleSha256(view.slice())));
  });
});
