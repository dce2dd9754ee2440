import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyOps, type Op } from '../../extension/binding/text-ops.js';
import { UndoStack } from '../../extension/binding/undo-stack.js';

/** One text, one user's UndoStack; the teammate's edits go around it. */
class Editor {
  readonly stack = new UndoStack();
  constructor(public text: string) {}
  local(op: Op, now: number): void {
    this.stack.local(op, this.text, now);
    this.text = applyOps(this.text, [op]);
  }
  remote(op: Op): void {
    this.text = applyOps(this.text, [op]);
    this.stack.remote([op]);
  }
  private readonly apply = (op: Op): string => {
    const offset = Math.min(op.offset, this.text.length);
    const removed = this.text.slice(offset, offset + op.deleteCount);
    this.text = applyOps(this.text, [{ ...op, offset }]);
    return removed;
  };
  undo(): boolean {
    return this.stack.undo(this.apply);
  }
  redo(): boolean {
    return this.stack.redo(this.apply);
  }
}

describe('extension: undo stack (own edits only)', () => {
  it('typing a word is one group; undo removes it and keeps the teammate text typed inside', () => {
    const e = new Editor('ab');
    for (const [i, ch] of [...'XYZ'].entries()) e.local({ offset: 1 + i, deleteCount: 0, insert: ch }, i * 100);
    e.remote({ offset: 2, deleteCount: 0, insert: 'q' }); // aXqYZb
    assert.equal(e.text, 'aXqYZb');
    assert.ok(e.undo());
    assert.equal(e.text, 'aqb');
    assert.ok(!e.undo());
    assert.ok(e.redo());
    assert.equal(e.text, 'aXqYZb');
  });

  it('a pause starts a new group', () => {
    const e = new Editor('');
    e.local({ offset: 0, deleteCount: 0, insert: 'a' }, 0);
    e.local({ offset: 1, deleteCount: 0, insert: 'b' }, 5000);
    e.undo();
    assert.equal(e.text, 'a');
  });

  it('undo of a deletion restores the text where it was, after a teammate edit before it', () => {
    const e = new Editor('0123456789');
    e.local({ offset: 3, deleteCount: 4, insert: '' }, 0); // 012789
    e.remote({ offset: 0, deleteCount: 0, insert: 'zz' }); // zz012789
    e.undo();
    assert.equal(e.text, 'zz0123456789');
  });

  it('property: undoing every own group removes exactly one\'s own insertions and restores one\'s own deletions; redo restores', () => {
    // Base text: digits; own inserts: upper case; the teammate's inserts: lower case (insert only).
    const step = fc.oneof(
      fc.record({ who: fc.constant('me' as const), kind: fc.constantFrom('ins', 'del'), at: fc.nat(), len: fc.integer({ min: 1, max: 4 }), ch: fc.constantFrom(...'ABCDEF'), dt: fc.constantFrom(10, 2000) }),
      fc.record({ who: fc.constant('mate' as const), kind: fc.constant('ins'), at: fc.nat(), len: fc.integer({ min: 1, max: 3 }), ch: fc.constantFrom(...'uvwxyz'), dt: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const base = '0123456789';
        const e = new Editor(base);
        let now = 0;
        const mateChars: string[] = [];
        for (const s of steps) {
          const at = s.at % (e.text.length + 1);
          if (s.who === 'mate') {
            e.remote({ offset: at, deleteCount: 0, insert: s.ch.repeat(s.len) });
            mateChars.push(...s.ch.repeat(s.len));
          } else {
            now += s.dt;
            // Own deletions only remove base digits or own text (never the teammate's, which undo could not tell apart here).
            if (s.kind === 'del') {
              let end = at;
              while (end < e.text.length && end - at < s.len && !/[a-z]/.test(e.text[end]!)) end++;
              if (end > at) e.local({ offset: at, deleteCount: end - at, insert: '' }, now);
            } else e.local({ offset: at, deleteCount: 0, insert: s.ch.repeat(s.len) }, now);
          }
        }
        const before = e.text;
        let undos = 0;
        while (e.undo()) undos++;
        assert.ok(!/[A-Z]/.test(e.text), `own text left after undo: ${e.text}`);
        assert.equal(e.text.replace(/[^0-9]/g, ''), base, 'own deletions restored');
        assert.deepEqual([...e.text.replace(/[^a-z]/g, '')].sort(), mateChars.sort(), 'the teammate\'s text kept');
        let redos = 0;
        while (e.redo()) redos++;
        assert.equal(redos, undos);
        assert.equal(e.text, before);
      }),
      { numRuns: 500 },
    );
  });
});
