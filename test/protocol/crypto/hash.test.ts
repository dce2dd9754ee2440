import assert from 'node:assert/strict';
import { deriveKey, fromHex, hash, keyedHash, toHex, bytesEqual } from '../../../protocol/src/crypto/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('crypto/hash', () => {
  it('BLAKE3 matches the official vectors for "" and "abc"', () => {
    assert.equal(toHex(hash(new Uint8Array(0))), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    assert.equal(toHex(hash(enc('abc'))), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
  });

  it('hashing an array equals hashing the concatenation', () => {
    const parts = [enc('weft '), new Uint8Array(0), enc('commit '), new Uint8Array(3000).fill(7)];
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) (whole.set(p, at), (at += p.length));
    assert.deepEqual(hash(parts), hash(whole));
    assert.deepEqual(hash([]), hash(new Uint8Array(0)));
  });

  it('keyed hash depends on the key and needs 32 bytes', () => {
    const k1 = new Uint8Array(32).fill(1);
    const k2 = new Uint8Array(32).fill(2);
    assert.equal(keyedHash(k1, enc('x')).length, 32);
    assert.notDeepEqual(keyedHash(k1, enc('x')), keyedHash(k2, enc('x')));
    assert.notDeepEqual(keyedHash(k1, enc('x')), hash(enc('x')));
    assert.throws(() => keyedHash(new Uint8Array(16), enc('x')), RangeError);
  });

  it('deriveKey is HKDF-SHA-256 (RFC 5869 A.3) and separates by info and salt', () => {
    // A.3 has empty info; the other RFC cases use info bytes that are not UTF-8 text.
    const ikm = fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
    const salt = fromHex('000102030405060708090a0b0c');
    assert.equal(
      toHex(deriveKey(ikm, '', new Uint8Array(0), 42)),
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8', // RFC 5869 A.3
    );
    assert.equal(deriveKey(ikm, 'a', salt).length, 32);
    assert.ok(bytesEqual(deriveKey(ikm, 'a', salt), deriveKey(ikm, 'a', salt)));
    assert.ok(!bytesEqual(deriveKey(ikm, 'a', salt), deriveKey(ikm, 'b', salt)));
    assert.ok(!bytesEqual(deriveKey(ikm, 'a', salt), deriveKey(ikm, 'a')));
    assert.throws(() => deriveKey(ikm, 'a', salt, 0), RangeError);
  });

  it('bytesEqual, toHex and fromHex', () => {
    assert.ok(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
    assert.ok(!bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
    assert.ok(!bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])));
    assert.equal(toHex(new Uint8Array([0, 15, 255])), '000fff');
    assert.deepEqual(fromHex('000FfF'), new Uint8Array([0, 15, 255]));
    assert.throws(() => fromHex('abc'), RangeError);
    assert.throws(() => fromHex('zz'), RangeError);
  });
});
