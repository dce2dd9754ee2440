/**
 * diffHunks: applying its hunks from the last to the first gives the new text; hunks are
 * ascending, non-overlapping and never cut a surrogate pair or a "\r\n"; edits in
 * separate places stay separate hunks; a one-word change deletes the word; large inputs
 * fall back to one hunk when a diff would cost too much.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diffHunks, diffText } from '../../../protocol/src/text/diff.js';
import type { Hunk } from '../../../protocol/src/text/index.js';
import { int, rng } from './helpers.js';

function applyHunks(text: string, hunks: readonly Hunk[]): string {
  for (let i = hunks.length - 1; i >= 0; i--) {
    const h = hunks[i]!;
    text = text.slice(0, h.offset) + h.insert + text.slice(h.offset + h.deleteCount);
  }
  return text;
}

/** True if offset `i` of `t` is inside a surrogate pair or a "\r\n". */
function splits(t: string, i: number): boolean {
  const l = t.charCodeAt(i - 1);
  const r = t.charCodeAt(i);
  return (l === 13 && r === 10) || (l >= 0xd800 && l <= 0xdbff && r >= 0xdc00 && r <= 0xdfff);
}

function checkHunks(before: string, after: string, hunks: readonly Hunk[]): void {
  assert.equal(applyHunks(before, hunks), after);
  let end = 0;
  let shift = 0; // after-offset minus before-offset at the current hunk
  for (const h of hunks) {
    assert.ok(h.deleteCount > 0 || h.insert.length > 0, 'empty hunk');
    assert.ok(h.offset >= end, `hunks overlap or are not ascending: ${JSON.stringify(hunks)}`);
    assert.ok(!splits(before, h.offset) && !splits(before, h.offset + h.deleteCount), `a hunk cuts a pair in the old text: ${JSON.stringify(h)}`);
    assert.ok(!splits(after, h.offset + shift) && !splits(after, h.offset + shift + h.insert.length), `a hunk cuts a pair in the new text: ${JSON.stringify(h)}`);
    end = h.offset + h.deleteCount;
    shift += h.insert.length - h.deleteCount;
  }
}

const piece = fc.constantFrom('a', 'b', 'x', ' ', '\n', '\r\n', '\r', '😀', '😁', '\ud83d', 'é', '}\n', 'line\n', 'return x;\n');
const text = fc.array(piece, { maxLength: 60 }).map((p) => p.join(''));
/** A text and a copy edited in a few places (pieces inserted, removed or replaced). */
const pair = fc.tuple(fc.array(piece, { maxLength: 60 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.array(piece, { maxLength: 4 })), { maxLength: 5 })).map(([base, edits]) => {
  const after = [...base];
  for (const [at, del, ins] of edits) after.splice(at % (after.length + 1), del, ...ins);
  return [base.join(''), after.join('')] as const;
});

const size = (hunks: readonly Hunk[]): number => hunks.reduce((n, h) => n + h.deleteCount + h.insert.length, 0);

describe('text/diff', () => {
  it('property: hunks turn the old text into the new one, ascending, never cutting a pair', () => {
    fc.assert(
      fc.property(pair, ([before, after]) => checkHunks(before, after, diffHunks(before, after))),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(text, text, (before, after) => checkHunks(before, after, diffHunks(before, after))),
      { numRuns: 2000 },
    );
  });

  it('property: never larger than the single changed range (widened so as not to cut a pair)', () => {
    fc.assert(
      fc.property(pair, ([before, after]) => {
        const one = diffText(before, after);
        let bound = one ? one.deleteCount + one.insert.length : 0;
        if (one && (splits(before, one.offset) || splits(after, one.offset))) bound += 2;
        if (one && (splits(before, one.offset + one.deleteCount) || splits(after, one.offset + one.insert.length))) bound += 2;
        assert.ok(size(diffHunks(before, after)) <= bound);
      }),
      { numRuns: 2000 },
    );
  });

  it('a line match that costs more than it saves is not taken (found by the property above)', () => {
    const before = ' aaaaa\r\n \n';
    const after = ' \naaaaa \n';
    const hunks = diffHunks(before, after);
    checkHunks(before, after, hunks);
    assert.ok(size(hunks) <= 7 + 6, JSON.stringify(hunks));
  });

  it('equal texts give no hunk', () => {
    assert.deepEqual(diffHunks('', ''), []);
    assert.deepEqual(diffHunks('same\n', 'same\n'), []);
  });

  it('a one-word change in a long line deletes the word, not the line', () => {
    const before = 'const total = items.reduce((sum, item) => sum + item.price, 0);\nnext line\n';
    const after = before.replace('price', 'cost');
    assert.deepEqual(diffHunks(before, after), [{ offset: before.indexOf('price'), deleteCount: 5, insert: 'cost' }]);
  });

  it('unrelated lines are replaced whole, not shredded by chance matches', () => {
    assert.deepEqual(diffHunks('keep\nhello world\nkeep too\n', 'keep\ngoodbye\nkeep too\n'), [{ offset: 5, deleteCount: 11, insert: 'goodbye' }]);
  });

  it('changes in separate places stay separate hunks', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} of the file\n`);
    const edited = [...lines];
    edited[3] = 'line 3 of THE file\n';
    edited.splice(20, 1);
    edited.splice(30, 0, 'a new line\n');
    const before = lines.join('');
    const after = edited.join('');
    const hunks = diffHunks(before, after);
    checkHunks(before, after, hunks);
    assert.deepEqual(
      hunks.map((h) => [h.deleteCount, h.insert]),
      [
        [3, 'THE'],
        [lines[20]!.length, ''],
        [0, 'a new line\n'],
      ],
    );
  });

  it('a change among identical lines sits where git puts it, whatever else changed', () => {
    // Two members delete the same two lines; with another edit at the top, a plain Myers
    // diff aligned the deletion one line higher, and the CRDT deleted three lines.
    const base = 'top\n}\nend\nreturn x;\nend\n';
    const alone = diffHunks(base, 'top\n}\nend\n');
    const withOther = diffHunks(base, 'TOP\n}\nend\n');
    assert.deepEqual(alone, [{ offset: 10, deleteCount: 14, insert: '' }]);
    assert.deepEqual(withOther.slice(1), alone);
    // An inserted line among equal ones goes after them (git slides groups down).
    assert.deepEqual(diffHunks('a\n}\n}\nb\n', 'a\n}\n}\n}\nb\n'), [{ offset: 6, deleteCount: 0, insert: '}\n' }]);
    assert.deepEqual(diffHunks('a\nx\n}\n}\nb\n', 'A\nx\n}\n}\n}\nb\n'), [
      { offset: 0, deleteCount: 1, insert: 'A' },
      { offset: 8, deleteCount: 0, insert: '}\n' },
    ]);
  });

  it('"\\r\\n" line ends belong to their line', () => {
    const before = 'one\r\ntwo\r\nthree\r\n';
    assert.deepEqual(diffHunks(before, 'one\r\ntwo\r\nfour\r\nthree\r\n'), [{ offset: 10, deleteCount: 0, insert: 'four\r\n' }]);
    assert.deepEqual(diffHunks(before, 'one\r\nthree\r\n'), [{ offset: 5, deleteCount: 5, insert: '' }]);
    // Line ends changed from CRLF to LF: each "\r" goes, no hunk cuts a "\r\n".
    checkHunks(before, 'one\ntwo\nthree\n', diffHunks(before, 'one\ntwo\nthree\n'));
  });

  it('never splits a surrogate pair, even where the pairs share their first unit', () => {
    assert.deepEqual(diffHunks('a😀b', 'a😁b'), [{ offset: 1, deleteCount: 2, insert: '😁' }]);
    checkHunks('😀😀😀', '😀😁😀', diffHunks('😀😀😀', '😀😁😀'));
  });

  it('a large file: scattered line edits stay small hunks, a file replaced wholesale is one hunk (speed: npm run bench -- text)', function () {
    // The timeout only catches a bound gone missing (minutes); the figures are benchmarks.
    this.timeout(30_000);
    const r = rng(7);
    const word = (): string => Math.floor(r() * 1e9).toString(36);
    const randomLines = (bytes: number): string[] => {
      const out: string[] = [];
      for (let size = 0; size < bytes; ) {
        const l = `${word()} ${word()} ${word()} ${word()}\n`;
        out.push(l);
        size += l.length;
      }
      return out;
    };
    const lines = randomLines(1_000_000);
    const before = lines.join('');
    const edited = [...lines];
    for (let k = 0; k < 100; k++) {
      const i = int(r, edited.length);
      const x = r();
      if (x < 0.33) edited[i] = edited[i]!.replace(/^\w+/, 'CHANGED');
      else if (x < 0.66) edited.splice(i, 1);
      else edited.splice(i, 0, `inserted ${word()}\n`);
    }
    const after = edited.join('');
    const hunks = diffHunks(before, after);
    checkHunks(before, after, hunks);
    assert.ok(hunks.length >= 90 && hunks.length <= 100, `${hunks.length} hunks for 100 scattered edits`);
    const other = randomLines(1_000_000).join('');
    const whole = diffHunks(before, other);
    checkHunks(before, other, whole);
    assert.equal(whole.length, 1);
  });

  it('too many changed lines for the line diff: one coarse hunk, still exact', () => {
    // Every other line changed: more edits than the line diff's bound, but lines in common.
    const before = Array.from({ length: 6000 }, (_, i) => `${i}\n`).join('');
    const after = Array.from({ length: 6000 }, (_, i) => (i % 2 ? `${i}\n` : `changed ${i}\n`)).join('');
    const hunks = diffHunks(before, after);
    checkHunks(before, after, hunks);
    assert.equal(hunks.length, 1);
    // The same lines in reverse order: no line count shows the cost, Myers gives up.
    const reversed = before.split('\n').slice(0, -1).reverse().join('\n') + '\n';
    const back = diffHunks(before, reversed);
    checkHunks(before, reversed, back);
    assert.equal(back.length, 1);
  });
});
