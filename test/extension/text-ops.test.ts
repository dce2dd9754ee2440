import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyLineHunks, applyOps, toHunks, toLineHunks, xform, type Op } from '../../extension/binding/text-ops.js';

const text = fc.array(fc.constantFrom('a', 'b', 'c', '\n', '\r\n', 'xy'), { maxLength: 30 }).map((p) => p.join(''));

/** A random sequence of ops that is valid on `t` (each relative to the text after the previous). */
function opsOn(t: string, picks: Array<[number, number, string]>): Op[] {
  const out: Op[] = [];
  let cur = t;
  for (const [a, b, ins] of picks) {
    const offset = a % (cur.length + 1);
    const deleteCount = b % (cur.length - offset + 1);
    const op = { offset, deleteCount, insert: ins };
    out.push(op);
    cur = applyOps(cur, [op]);
  }
  return out;
}
const picks = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('', 'Q', 'RS', '\n', 'T\nU')), { maxLength: 4 });

describe('extension: text-ops (the binding\'s change algebra)', () => {
  it('property: xform makes both orders reach the same text', () => {
    fc.assert(
      fc.property(text, picks, picks, (t, pa, pb) => {
        const a = opsOn(t, pa);
        const b = opsOn(t, pb);
        const [aAfterB, bAfterA] = xform(a, b);
        assert.equal(applyOps(applyOps(t, b), aAfterB), applyOps(applyOps(t, a), bAfterA));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: toHunks gives simultaneous ascending hunks with the sequence\'s effect', () => {
    fc.assert(
      fc.property(text, picks, (t, p) => {
        const ops = opsOn(t, p);
        const hunks = toHunks(t.length, ops);
        for (let i = 1; i < hunks.length; i++) assert.ok(hunks[i]!.offset >= hunks[i - 1]!.offset + hunks[i - 1]!.deleteCount);
        assert.equal(applyOps(t, [...hunks].reverse()), applyOps(t, ops));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: line/character hunks on the text they were built on have the offset hunks\' effect', () => {
    fc.assert(
      fc.property(text, picks, (t, p) => {
        // A position between "\r" and "\n" has no line and character (nor in VS Code).
        const splits = (o: number) => o > 0 && t[o - 1] === '\r' && t[o] === '\n';
        const hunks = toHunks(t.length, opsOn(t, p)).filter((h) => !splits(h.offset) && !splits(h.offset + h.deleteCount));
        assert.equal(applyLineHunks(t, toLineHunks(t, hunks)), applyOps(t, [...hunks].reverse()));
      }),
      { numRuns: 2000 },
    );
  });

  it('line/character hunks land by line on a text changed meanwhile, as VS Code applies them', () => {
    const built = 'one\ntwo\nthree';
    const hunks = toLineHunks(built, [{ offset: 8, deleteCount: 0, insert: 'X' }]); // start of "three"
    assert.equal(applyLineHunks('zero\none\ntwo\nthree', hunks), 'zero\none\nXtwo\nthree');
    assert.equal(applyLineHunks('one', hunks), 'oneX', 'a line past the end clamps to the end');
  });
});
