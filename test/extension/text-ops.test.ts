import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyLineHunks, applyOps, lineEndOps, toHunks, toLineHunks, xform, type Op } from '../../extension/binding/text-ops.js';

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

describe('extension: line ends made the document\'s (the binding\'s idle check)', () => {
  // The check used one op from the first to the last differing line end: every word in
  // between was deleted and inserted again, so a teammate's concurrent edit among them
  // merged with a copy of the text (a word of his appeared twice in the CRLF fuzz).
  const words = fc.array(fc.tuple(fc.constantFrom('<R1>', 'ab', 'c'), fc.constantFrom('\n', '\r\n', '\r', '')), { maxLength: 20 });
  const swap = (end: string, pick: number): string => (end === '' ? '' : ['\n', '\r\n', '\r'][pick % 3]!);

  it('changes only line ends, one small op each, and gives the target text', () => {
    fc.assert(
      fc.property(words, fc.array(fc.nat(), { minLength: 20, maxLength: 20 }), (parts, picks) => {
        const from = parts.map(([w, e]) => w + e).join('');
        const to = parts.map(([w, e], i) => w + swap(e, picks[i]!)).join('');
        const ops = lineEndOps(from, to);
        assert.ok(ops, 'texts that differ in line ends only');
        assert.equal(applyOps(from, ops), to);
        for (const op of ops) {
          assert.ok(op.deleteCount <= 2 && /^[\r\n]*$/.test(from.slice(op.offset, op.offset + op.deleteCount)) && /^[\r\n]+$/.test(op.insert), JSON.stringify(op));
        }
      }),
    );
  });

  it('leaves the words between two line ends alone, and refuses texts that differ otherwise', () => {
    const ops = lineEndOps('a\n<R1> word\nb', 'a\r\n<R1> word\r\nb');
    assert.deepEqual(ops, [
      { offset: 11, deleteCount: 1, insert: '\r\n' },
      { offset: 1, deleteCount: 1, insert: '\r\n' },
    ]);
    assert.equal(lineEndOps('a\nb', 'a\nc'), undefined);
    assert.equal(lineEndOps('a\nb', 'a\n'), undefined);
  });
});
