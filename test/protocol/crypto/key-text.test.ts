import assert from 'node:assert/strict';
import { fingerprint, fromHex, generateSigningKeyPair, KeyTextError, publicKeyFromText, publicKeyToText } from '../../../protocol/src/crypto/index.js';
import { seededRandom } from './seeded-random.js';

const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const RFC_PUB = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => publicKeyFromText(text), (e: unknown) => e instanceof KeyTextError && pattern.test(e.message));
}

describe('crypto/key-text', () => {
  const keys = Array.from({ length: 8 }, (_, i) => generateSigningKeyPair(seededRandom(100 + i)).publicKey);

  it('has a fixed golden form and round-trips', () => {
    assert.equal(publicKeyToText(RFC_PUB), 'weft16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydq958470');
    for (const k of [...keys, new Uint8Array(32), new Uint8Array(32).fill(255)]) {
      const t = publicKeyToText(k);
      assert.match(t, /^weft1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
      assert.deepEqual(publicKeyFromText(t), k);
    }
  });

  it('tolerates surrounding and inner whitespace and any case', () => {
    const t = publicKeyToText(keys[0]!);
    assert.deepEqual(publicKeyFromText(`  \t${t}\r\n`), keys[0]);
    assert.deepEqual(publicKeyFromText(t.toUpperCase()), keys[0]);
    assert.deepEqual(publicKeyFromText(`${t.slice(0, 30)}\n  ${t.slice(30)}`), keys[0]);
  });

  it('rejects every single-character substitution and every adjacent swap', () => {
    for (const k of keys.slice(0, 3)) {
      const t = publicKeyToText(k);
      for (let i = 5; i < t.length; i++) {
        for (const c of ALPHABET) {
          if (c === t[i]) continue;
          rejects(t.slice(0, i) + c + t.slice(i + 1), /checksum|canonical/);
        }
        if (i + 1 < t.length && t[i] !== t[i + 1]) rejects(t.slice(0, i) + t[i + 1] + t[i] + t.slice(i + 2), /checksum|canonical/);
      }
    }
  });

  it('says what is wrong: prefix, bad character, length', () => {
    const t = publicKeyToText(keys[1]!);
    rejects('', /empty/);
    rejects('   ', /empty/);
    rejects('ssh-ed25519 AAAA', /starts with "weft1"/);
    rejects(t.replace(/^weft1/, 'weft2'), /starts with "weft1"/);
    rejects(t.slice(0, 20) + 'o' + t.slice(21), /position 21.*did you mean "0"/);
    rejects(t.slice(0, 20) + 'b' + t.slice(21), /did you mean "8"/);
    rejects(t.slice(0, 20) + '-' + t.slice(21), /not used in Weft keys/);
    rejects(t.slice(0, -1), /too short/);
    rejects(t.slice(0, 40), /too short/);
    rejects(t + 'q', /too long/);
    rejects(t + t, /not used|too long/);
    assert.throws(() => publicKeyFromText(42 as unknown as string), KeyTextError);
    assert.throws(() => publicKeyToText(new Uint8Array(31)), RangeError);
  });

  it('fingerprint: four groups of four, stable, distinct per key', () => {
    assert.equal(fingerprint(RFC_PUB), 's34l x2l9 gyr2 dc38');
    const prints = keys.map(fingerprint);
    for (const p of prints) assert.match(p, /^[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{4}( [qpzry9x8gf2tvdw0s3jn54khce6mua7l]{4}){3}$/);
    assert.equal(new Set(prints).size, keys.length);
  });
});
