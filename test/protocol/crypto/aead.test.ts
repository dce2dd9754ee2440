import assert from 'node:assert/strict';
import {
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  DecryptError,
  decrypt,
  encrypt,
  encryptWithNonce,
  generateSigningKeyPair,
  openSealed,
  sealTo,
} from '../../../protocol/src/crypto/index.js';
import { activeAead, nativeAead, nobleAead } from '../../../protocol/src/crypto/aead.js';
import { seededRandom } from './seeded-random.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('crypto/aead (XChaCha20-Poly1305)', () => {
  const rnd = seededRandom(11);
  const key = rnd(32);
  const aad = enc('share 1 / epoch 3');

  it('round-trips with the documented layout', () => {
    for (const len of [0, 1, 63, 64, 1000]) {
      const pt = rnd(len);
      const sealed = encrypt(key, pt, aad);
      assert.equal(sealed.length, AEAD_NONCE_BYTES + len + AEAD_TAG_BYTES);
      assert.deepEqual(decrypt(key, sealed, aad), pt);
    }
    assert.deepEqual(decrypt(key, encrypt(key, enc('no aad'))), enc('no aad'));
  });

  it('uses the native backend on Node; it gives the same bytes as noble, and each opens the other', () => {
    assert.equal(activeAead().name, 'native');
    for (const len of [0, 1, 15, 16, 17, 64, 1000, 70_000]) {
      const k = rnd(32);
      const n = rnd(24);
      const pt = rnd(len);
      const a = len % 2 ? rnd(len % 40) : undefined;
      const x = new Uint8Array(len + 16);
      const y = new Uint8Array(len + 16);
      nativeAead.seal(k, n, pt, a, x);
      nobleAead.seal(k, n, pt, a, y);
      assert.deepEqual(x, y, `length ${len}`);
      assert.deepEqual(nativeAead.open(k, n, y, a), pt);
      assert.deepEqual(nobleAead.open(k, n, x, a), pt);
    }
  });

  it('encryptWithNonce is deterministic and decrypts with decrypt()', () => {
    const nonce = rnd(24);
    const a = encryptWithNonce(key, nonce, enc('chunk'), aad);
    assert.deepEqual(a, encryptWithNonce(key, nonce, enc('chunk'), aad));
    assert.deepEqual(a.subarray(0, 24), nonce);
    assert.deepEqual(decrypt(key, a, aad), enc('chunk'));
    assert.throws(() => encryptWithNonce(key, new Uint8Array(12), enc('x')), RangeError);
    assert.throws(() => encrypt(new Uint8Array(16), enc('x')), RangeError);
  });

  it('refuses any tampering with DecryptError: nonce, ciphertext, tag, aad, key, length', () => {
    const sealed = encrypt(key, enc('the quick brown fox'), aad);
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i]! ^= 0x01;
      assert.throws(() => decrypt(key, bad, aad), DecryptError, `byte ${i}`);
    }
    assert.throws(() => decrypt(key, sealed, enc('share 1 / epoch 4')), DecryptError);
    assert.throws(() => decrypt(key, sealed), DecryptError);
    assert.throws(() => decrypt(rnd(32), sealed, aad), DecryptError);
    assert.throws(() => decrypt(key, sealed.subarray(0, sealed.length - 1), aad), DecryptError);
    assert.throws(() => decrypt(key, sealed.subarray(0, 39), aad), DecryptError);
    assert.throws(() => decrypt(key, new Uint8Array(0)), DecryptError);
    assert.throws(() => decrypt(new Uint8Array(31), sealed, aad), DecryptError);
  });
});

describe('crypto/seal (sealed boxes to an Ed25519 key)', () => {
  const rnd = seededRandom(12);
  const alice = generateSigningKeyPair(rnd);
  const bob = generateSigningKeyPair(rnd);
  const epochKey = rnd(32);
  const aad = enc('epoch 4');

  it('round-trips to the recipient, and each box is fresh', () => {
    const box = sealTo(alice.publicKey, epochKey, aad);
    assert.deepEqual(openSealed(alice.secretKey, box, aad), epochKey);
    assert.notDeepEqual(sealTo(alice.publicKey, epochKey, aad), box);
    assert.equal(box.length, 1 + 32 + 32 + 16);
  });

  it('the wrong recipient, aad or a tampered box gives DecryptError', () => {
    const box = sealTo(alice.publicKey, epochKey, aad);
    assert.throws(() => openSealed(bob.secretKey, box, aad), DecryptError);
    assert.throws(() => openSealed(alice.secretKey, box, enc('epoch 5')), DecryptError);
    for (let i = 0; i < box.length; i++) {
      const bad = box.slice();
      bad[i]! ^= 0x80;
      assert.throws(() => openSealed(alice.secretKey, bad, aad), DecryptError, `byte ${i}`);
    }
    assert.throws(() => openSealed(alice.secretKey, box.subarray(0, 48), aad), DecryptError);
    assert.throws(() => openSealed(alice.secretKey, new Uint8Array(0)), DecryptError);
    assert.throws(() => openSealed(new Uint8Array(5), box, aad), DecryptError);
    const zeroEphemeral = box.slice();
    zeroEphemeral.fill(0, 1, 33);
    assert.throws(() => openSealed(alice.secretKey, zeroEphemeral, aad), DecryptError);
  });

  it('sealing to a malformed key throws RangeError', () => {
    assert.throws(() => sealTo(new Uint8Array(31), epochKey), RangeError);
  });
});
