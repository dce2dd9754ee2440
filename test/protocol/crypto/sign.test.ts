import assert from 'node:assert/strict';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { mod } from '@noble/curves/abstract/modular.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { fromHex, generateSigningKeyPair, sign, signingKeyPairFromSeed, toHex, verify } from '../../../protocol/src/crypto/index.js';
import { activeBackend, nativeBackend, nobleBackend, type Ed25519Backend } from '../../../protocol/src/crypto/sign.js';
import { seededRandom } from './seeded-random.js';

// RFC 8032 section 7.1, TEST 1, TEST 2 and TEST 3.
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

const backends: Ed25519Backend[] = [nobleBackend, ...(nativeBackend() ? [nativeBackend()!] : [])];

describe('crypto/sign (Ed25519)', () => {
  it('uses the native backend on Node', () => {
    assert.equal(activeBackend().name, 'native');
  });

  for (const b of backends) {
    it(`${b.name}: matches the RFC 8032 test vectors`, () => {
      for (const v of RFC8032) {
        const seed = fromHex(v.seed);
        assert.equal(toHex(b.publicKeyFromSeed(seed)), v.pub);
        assert.equal(toHex(b.sign(seed, fromHex(v.msg))), v.sig);
        assert.equal(b.verify(fromHex(v.pub), fromHex(v.msg), fromHex(v.sig)), true);
      }
    });
  }

  it('the public API matches RFC 8032 and round-trips', () => {
    for (const v of RFC8032) {
      const kp = signingKeyPairFromSeed(fromHex(v.seed));
      assert.equal(toHex(kp.publicKey), v.pub);
      assert.equal(toHex(sign(kp.secretKey, fromHex(v.msg))), v.sig);
      assert.ok(verify(kp.publicKey, fromHex(v.msg), fromHex(v.sig)));
    }
    const kp = generateSigningKeyPair(seededRandom(7));
    const msg = new TextEncoder().encode('hello weft');
    assert.ok(verify(kp.publicKey, msg, sign(kp.secretKey, msg)));
  });

  it('native and noble give identical signatures and verdicts on random keys and messages', function () {
    const native = nativeBackend();
    if (!native) this.skip();
    const rnd = seededRandom(42);
    for (let i = 0; i < 100; i++) {
      const seed = rnd(32);
      const msg = rnd(rnd(1)[0]! * 4);
      const pub = nobleBackend.publicKeyFromSeed(seed);
      assert.deepEqual(native.publicKeyFromSeed(seed), pub);
      const sig = nobleBackend.sign(seed, msg);
      assert.deepEqual(native.sign(seed, msg), sig);
      const bad = sig.slice();
      bad[rnd(1)[0]! % 64]! ^= 1 << (rnd(1)[0]! % 8);
      for (const s of [sig, bad]) assert.equal(native.verify(pub, msg, s), nobleBackend.verify(pub, msg, s));
    }
  });

  it('a forged or modified signature, message or key is refused', () => {
    const kp = generateSigningKeyPair(seededRandom(1));
    const other = generateSigningKeyPair(seededRandom(2));
    const msg = new TextEncoder().encode('grant writer to alice');
    const sig = sign(kp.secretKey, msg);
    for (let bit = 0; bit < 512; bit += 7) {
      const bad = sig.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(verify(kp.publicKey, msg, bad), false, `bit ${bit}`);
    }
    assert.equal(verify(kp.publicKey, new TextEncoder().encode('grant writer to mallory'), sig), false);
    assert.equal(verify(other.publicKey, msg, sig), false);
    assert.equal(verify(kp.publicKey, msg, sign(other.secretKey, msg)), false);
    assert.equal(verify(kp.publicKey, msg, new Uint8Array(64)), false);
  });

  it('malformed lengths and types: verify returns false, sign throws RangeError', () => {
    const kp = generateSigningKeyPair(seededRandom(3));
    const msg = new Uint8Array([1]);
    const sig = sign(kp.secretKey, msg);
    for (const n of [0, 31, 33, 64]) assert.equal(verify(new Uint8Array(n), msg, sig), false);
    for (const n of [0, 63, 65, 128]) assert.equal(verify(kp.publicKey, msg, new Uint8Array(n)), false);
    assert.equal(verify(null as unknown as Uint8Array, msg, sig), false);
    assert.equal(verify(kp.publicKey, 'x' as unknown as Uint8Array, sig), false);
    assert.equal(verify(kp.publicKey, msg, undefined as unknown as Uint8Array), false);
    assert.throws(() => sign(new Uint8Array(64), msg), RangeError);
    assert.throws(() => sign(new Uint8Array(31), msg), RangeError);
    assert.throws(() => signingKeyPairFromSeed(new Uint8Array(16)), RangeError);
  });

  for (const b of backends) {
    it(`${b.name}: refuses non-canonical S, small-order and non-canonical keys, mixed-order tricks alike`, () => {
      const seed = fromHex(RFC8032[1]!.seed);
      const pub = b.publicKeyFromSeed(seed);
      const msg = fromHex('72');
      const sig = b.sign(seed, msg);
      // S + L is the same scalar, but not canonical (signature malleability).
      const L = ed25519.Point.CURVE().n;
      const malleable = sig.slice();
      malleable.set(numberToBytesLE(bytesToNumberLE(sig.subarray(32)) + L, 32), 32);
      assert.equal(b.verify(pub, msg, malleable), false);
      // Small-order public keys (the 8 torsion points) with an all-zero-ish signature.
      for (const t of ED25519_TORSION_SUBGROUP) {
        const tb = fromHex(t);
        const rSig = new Uint8Array(64);
        rSig.set(tb);
        assert.equal(b.verify(tb, msg, rSig), false, `torsion ${t}`);
      }
      // y = p (non-canonical encoding of y = 0).
      const nonCanonical = fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
      assert.equal(b.verify(nonCanonical, msg, sig), false);
    });
  }

  it('both backends agree on mixed-order keys, where cofactored and cofactorless checks differ', function () {
    const native = nativeBackend();
    if (!native) this.skip();
    const P = ed25519.Point;
    const L = P.CURVE().n;
    const T = P.fromBytes(fromHex(ED25519_TORSION_SUBGROUP[1]!)); // order 8
    const rnd = seededRandom(9);
    let differsFromNoblesOwnVerify = 0;
    for (let i = 0; i < 32; i++) {
      const a = mod(bytesToNumberLE(rnd(64)), L);
      const r = mod(bytesToNumberLE(rnd(64)), L);
      const A2 = P.BASE.multiply(a).add(T).toBytes();
      const R = P.BASE.multiply(r).toBytes();
      const msg = rnd(16);
      const k = mod(bytesToNumberLE(sha512.create().update(R).update(A2).update(msg).digest()), L);
      const sig = new Uint8Array(64);
      sig.set(R);
      sig.set(numberToBytesLE(mod(r + k * a, L), 32), 32);
      const expected = k % 8n === 0n; // cofactorless equation holds only if [k]T = 0
      assert.equal(native.verify(A2, msg, sig), expected);
      assert.equal(nobleBackend.verify(A2, msg, sig), expected);
      if (ed25519.verify(sig, msg, A2, { zip215: false }) !== expected) differsFromNoblesOwnVerify++;
    }
    assert.ok(differsFromNoblesOwnVerify > 0, 'the test should exercise a case where the two equations differ');
  });
});
