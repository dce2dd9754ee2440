import assert from 'node:assert/strict';
import { prng } from '../../../protocol/sim/prng.js';
import { compactOps } from '../../../protocol/src/text/compact-ops.js';
import { TextDoc, type TextOp } from '../../../protocol/src/text/index.js';

describe('text/compactOps', () => {
  it('joins typing runs and forward deletes into single ops', () => {
    const d = new TextDoc('a');
    const ops: TextOp[] = [];
    for (let i = 0; i < 20; i++) ops.push(...d.insert(i, 'x'));
    assert.equal(compactOps(ops).length, 1);
    const dels: TextOp[] = [];
    for (let i = 0; i < 5; i++) dels.push(...d.delete(3, 1));
    assert.equal(compactOps(dels).length, 1);
  });

  it('compacted ops apply exactly like the originals (seeded random edit batches)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = prng(seed);
      const a = new TextDoc('author');
      const raw = new TextDoc('r1');
      const compact = new TextDoc('r2');
      for (let batch = 0; batch < 5; batch++) {
        const ops: TextOp[] = [];
        for (let i = 0; i < 30; i++) {
          const len = a.length;
          let at = Math.floor(next() * (len + 1));
          if (next() < 0.7) at = Math.min(len, at); // bias: some typing runs
          if (next() < 0.25 && len > 0) ops.push(...a.delete(Math.min(at, len - 1), 1 + Math.floor(next() * Math.min(3, len - Math.min(at, len - 1)))));
          else {
            const s = 'abcdef'.slice(0, 1 + Math.floor(next() * 3));
            ops.push(...a.insert(at, s));
            if (next() < 0.6) ops.push(...a.insert(at + s.length, 'z'));
          }
        }
        raw.applyRemote(ops);
        const c = compactOps(ops);
        assert.ok(c.length <= ops.length);
        compact.applyRemote(c);
        assert.equal(compact.toString(), raw.toString(), `seed ${seed}`);
        assert.equal(raw.toString(), a.toString(), `seed ${seed}`);
      }
    }
  });
});
