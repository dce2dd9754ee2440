import assert from 'node:assert/strict';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { numberToBytesLE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { DecryptError, fromHex, openSealed, sealTo, signingKeyPairFromSeed, toHex } from '../../../protocol/src/crypto/index.js';
import { openSealedWith, sealToWith } from '../../../protocol/src/crypto/seal.js';
import { activeX25519, nativeX25519, nobleX25519, passesRfc7748, RFC7748_6_1, type X25519Backend } from '../../../protocol/src/crypto/x25519.js';
import { seededRandom } from './seeded-random.js';

const backends: X25519Backend[] = [nobleX25519, ...(nativeX25519() ? [nativeX25519()!] : [])];

// RFC 7748 section 5.2, the two single-multiplication vectors (the second u has bit 255 set).
const RFC7748_5_2 = [
  {
    scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
    u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
    out: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  },
  {
    scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
    u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    out: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  },
];

// The u coordinates of small order on curve25519 and its twist (0, 1, p - 1, the two points
// of order 8), in every 32-byte encoding: canonical, + p where that fits in 255 bits, and
// each of those with bit 255 set (which X25519 ignores).
const P = 2n ** 255n - 19n;
const SMALL_ORDER_U = [
  0n,
  1n,
  P - 1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
];
const SMALL_ORDER_ENCODINGS = SMALL_ORDER_U.flatMap((u) => (u + P < 2n ** 255n ? [u, u + P] : [u])).flatMap((u) => [u, u + 2n ** 255n].map((v) => numberToBytesLE(v, 32)));

/** What a call gave: its bytes in hex, or that it threw. */
function outcome(f: () => Uint8Array): string {
  try {
    return toHex(f());
  } catch {
    return 'throws';
  }
}

describe('crypto/x25519 (backends for sealed boxes)', () => {
  it('uses the native backend on Node', () => {
    assert.equal(activeX25519().name, 'native');
  });

  for (const b of backends) {
    it(`${b.name}: matches RFC 7748 (sections 6.1 and 5.2)`, () => {
      const { alice, bob, shared } = RFC7748_6_1;
      assert.equal(toHex(b.publicKey(fromHex(alice.secret))), alice.public);
      assert.equal(toHex(b.publicKey(fromHex(bob.secret))), bob.public);
      assert.equal(toHex(b.sharedSecret(fromHex(alice.secret), fromHex(bob.public))), shared);
      assert.equal(toHex(b.sharedSecret(fromHex(bob.secret), fromHex(alice.public))), shared);
      for (const v of RFC7748_5_2) assert.equal(toHex(b.sharedSecret(fromHex(v.scalar), fromHex(v.u))), v.out);
      assert.ok(passesRfc7748(b));
    });

    it(`${b.name}: throws for every encoding of a small-order public key, never returns zeros`, () => {
      const secret = seededRandom(5)(32);
      assert.equal(SMALL_ORDER_ENCODINGS.length, 14);
      for (const u of SMALL_ORDER_ENCODINGS) assert.throws(() => b.sharedSecret(secret, u), Error, toHex(u));
    });
  }

  it('native and noble agree on random secrets and public keys (any 32 bytes)', function () {
    const native = nativeX25519();
    if (!native) this.skip();
    const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(bytes32, bytes32, (secret, pub) => {
        assert.equal(toHex(native.publicKey(secret)), toHex(nobleX25519.publicKey(secret)));
        assert.equal(outcome(() => native.sharedSecret(secret, pub)), outcome(() => nobleX25519.sharedSecret(secret, pub)));
      }),
      { numRuns: 200 },
    );
  });

  it('the Ed25519 torsion points map onto the small-order list', () => {
    const encodings = new Set(SMALL_ORDER_ENCODINGS.map(toHex));
    for (const t of ED25519_TORSION_SUBGROUP.slice(1)) assert.ok(encodings.has(toHex(ed25519.utils.toMontgomery(fromHex(t)))), t);
  });
});

describe('crypto/seal on either X25519 backend', () => {
  const rnd = seededRandom(77);
  const alice = signingKeyPairFromSeed(rnd(32));
  const bob = signingKeyPairFromSeed(rnd(32));
  const secret = rnd(48);
  const aad = new TextEncoder().encode('share 9');

  it('a box made before the X25519 backends opens, and the same randomness makes the same box on both', () => {
    // Made by the pure-noble seal.ts (commit a3042c3) with seededRandom(2024).
    const kp = signingKeyPairFromSeed(fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
    const plain = new TextEncoder().encode('weft epoch key 0123456789abcdef');
    const id = new TextEncoder().encode('share-1');
    const old =
      '0183c20562badb36534759d17b23d649a739333108b04bcd6adbdac928f0100b50932c3bfe677958e04f3e3d8fac893d57685566800518a794e2908c4114a84cb90b18805e8f903194e53710e39e6499';
    for (const b of backends) {
      assert.deepEqual(openSealedWith(b, kp.secretKey, fromHex(old), id), plain, b.name);
      assert.equal(toHex(sealToWith(b, kp.publicKey, plain, id, seededRandom(2024))), old, b.name);
    }
    assert.equal(toHex(sealTo(kp.publicKey, plain, id, seededRandom(2024))), old);
  });

  it('boxes sealed on one backend open on the other', () => {
    for (const from of backends) {
      for (const to of backends) {
        for (let i = 0; i < 8; i++) {
          const box = sealToWith(from, alice.publicKey, secret, aad);
          assert.deepEqual(openSealedWith(to, alice.secretKey, box, aad), secret, `${from.name} -> ${to.name}`);
          assert.throws(() => openSealedWith(to, bob.secretKey, box, aad), DecryptError);
        }
      }
    }
  });

  it('a small-order or invalid key gives the same error on both: RangeError to seal, DecryptError to open', () => {
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2; // y = 2 has no x on the curve
    const box = sealTo(alice.publicKey, secret, aad);
    for (const b of backends) {
      for (const t of [...ED25519_TORSION_SUBGROUP, toHex(notAPoint)]) assert.throws(() => sealToWith(b, fromHex(t), secret, aad), RangeError, `${b.name} ${t}`);
      for (const u of SMALL_ORDER_ENCODINGS) {
        const bad = box.slice();
        bad.set(u, 1);
        assert.throws(() => openSealedWith(b, alice.secretKey, bad, aad), DecryptError, `${b.name} ${toHex(u)}`);
      }
    }
  });

  it('a secret key array overwritten in place opens with its new key (the opening-key cache checks)', () => {
    const key = alice.secretKey.slice();
    const toAlice = sealTo(alice.publicKey, secret, aad);
    const toBob = sealTo(bob.publicKey, secret, aad);
    assert.deepEqual(openSealed(key, toAlice, aad), secret);
    key.set(bob.secretKey);
    assert.deepEqual(openSealed(key, toBob, aad), secret);
    assert.throws(() => openSealed(key, toAlice, aad), DecryptError);
  });
});
