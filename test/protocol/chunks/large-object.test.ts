import assert from 'node:assert/strict';
import { ObjectWriter, readObject } from '../../../protocol/src/chunks/index.js';
import { sha256 } from '../../../protocol/src/crypto/index.js';
import { MemoryChunkStore } from '../../../protocol/storage/memory-chunk-store.js';
import { bytesEqual } from '../../../protocol/src/crypto/index.js';
import { fillPattern, testKeys } from '../../../tools/samples/chunk-data.js';

describe('chunks: a 200 MB file, streamed', function () {
  this.timeout(120_000);

  it('round-trips without ever holding the plaintext whole', async () => {
    const size = 200 * 1024 * 1024;
    const piece = new Uint8Array(1024 * 1024);
    const store = new MemoryChunkStore();
    const w = new ObjectWriter(testKeys(8));
    const inputParts: Uint8Array[] = [];
    for (let at = 0; at < size; at += piece.length) {
      fillPattern(8, at, piece);
      inputParts.push(sha256(piece));
      for (const c of w.write(piece)) await store.put(c.ref.id, c.ciphertext);
    }
    const { root, chunks } = w.finish();
    for (const c of chunks) await store.put(c.ref.id, c.ciphertext);
    assert.equal(root.size, size);
    // Compare 1 MiB at a time through the same per-MiB hashes.
    const outParts: Uint8Array[] = [];
    let buf = new Uint8Array(piece.length);
    let fill = 0;
    for await (const data of readObject(root, (id) => store.get(id))) {
      for (let off = 0; off < data.length; ) {
        const n = Math.min(data.length - off, buf.length - fill);
        buf.set(data.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === buf.length) {
          outParts.push(sha256(buf));
          buf = new Uint8Array(piece.length);
          fill = 0;
        }
      }
    }
    assert.equal(fill, 0);
    assert.equal(outParts.length, inputParts.length);
    assert.ok(outParts.every((h, i) => bytesEqual(h, inputParts[i]!)));
  });
});
