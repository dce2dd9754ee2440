import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../../protocol/src/codec/bytes.js';
import { commitIdFromBytes, type CommitId } from '../../../protocol/src/log/ids.js';
import { hash } from '../../../protocol/src/crypto/index.js';
import { CommitBloom } from '../../../protocol/src/sync/index.js';

function ids(n: number, salt: number): CommitId[] {
  return Array.from({ length: n }, (_, i) => commitIdFromBytes(hash(new Uint8Array([salt, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff]))));
}

describe('sync/bloom', () => {
  it('has no false negatives and about 0.8% false positives at 10 bits and 7 probes', () => {
    const inside = ids(10_000, 1);
    const outside = ids(20_000, 2);
    const bloom = CommitBloom.build(inside, { bitsPerEntry: 10, hashes: 7, maxBytes: 1 << 20 });
    assert.equal(bloom.byteLength, 12_500);
    for (const id of inside) assert.ok(bloom.has(id));
    const fp = outside.filter((id) => bloom.has(id)).length / outside.length;
    console.log(`      false-positive rate ${(fp * 100).toFixed(2)}% (${bloom.byteLength} bytes for 10,000 ids)`);
    assert.ok(fp > 0.002 && fp < 0.02, `rate ${fp}`);
  });

  it('the empty filter contains nothing; a capped filter stays within its bytes', () => {
    assert.equal(CommitBloom.build([], { bitsPerEntry: 10, hashes: 7, maxBytes: 10 }).has(ids(1, 3)[0]!), false);
    const capped = CommitBloom.build(ids(1000, 4), { bitsPerEntry: 10, hashes: 7, maxBytes: 64 });
    assert.equal(capped.byteLength, 64);
    for (const id of ids(1000, 4)) assert.ok(capped.has(id));
  });

  it('round-trips through its wire form', () => {
    const inside = ids(77, 5);
    const bloom = CommitBloom.build(inside, { bitsPerEntry: 9.5, hashes: 5, maxBytes: 1000 });
    const w = new ByteWriter();
    bloom.write(w);
    const back = CommitBloom.read(new ByteReader(w.finish()), 1000);
    assert.equal(back.bitCount, bloom.bitCount);
    for (const id of [...inside, ...ids(500, 6)]) assert.equal(back.has(id), bloom.has(id));
  });
});
