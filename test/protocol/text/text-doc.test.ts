import assert from 'node:assert/strict';
import { InvalidOpError, MissingDependencyError, TextDoc, type TextOp } from '../../../protocol/src/text/index.js';
import { applyChanges } from './helpers.js';

function sync(from: TextDoc, to: TextDoc): void {
  to.applyRemote(from.opsSince(to.version()));
}

describe('text/TextDoc local editing', () => {
  it('inserts and deletes at UTF-16 offsets', () => {
    const d = new TextDoc('a');
    d.insert(0, 'hello');
    d.insert(5, ' world');
    d.insert(0, '>> ');
    assert.equal(d.toString(), '>> hello world');
    d.delete(0, 3);
    d.delete(5, 1);
    assert.equal(d.toString(), 'helloworld');
    assert.equal(d.length, 10);
    d.insert(5, ', ');
    assert.equal(d.toString(), 'hello, world');
    d.delete(0, d.length);
    assert.equal(d.toString(), '');
    assert.equal(d.length, 0);
  });

  it('keeps one run per typing burst and one op per edit', () => {
    const d = new TextDoc('a');
    for (const [i, ch] of [...'typing'].entries()) assert.equal(d.insert(i, ch).length, 1);
    const ops = d.opsSince(new Map());
    assert.equal(ops.length, 1);
    assert.deepEqual(ops[0], { kind: 'insert', agent: 'a', seq: 0, originLeft: null, originRight: null, text: 'typing' });
  });

  it('counts ids for inserts and deletes in the version', () => {
    const d = new TextDoc('a');
    d.insert(0, 'abc');
    d.delete(1, 1);
    assert.deepEqual([...d.version()], [['a', 4]]);
  });

  it('rejects out-of-range edits with RangeError and changes nothing', () => {
    const d = new TextDoc('a');
    d.insert(0, 'abc');
    assert.throws(() => d.insert(4, 'x'), RangeError);
    assert.throws(() => d.insert(-1, 'x'), RangeError);
    assert.throws(() => d.delete(2, 2), RangeError);
    assert.throws(() => d.delete(1.5, 1), RangeError);
    assert.equal(d.toString(), 'abc');
    assert.deepEqual(d.insert(1, ''), []);
    assert.deepEqual(d.delete(1, 0), []);
  });

  it('never splits a surrogate pair', () => {
    const d = new TextDoc('a');
    d.insert(0, 'x😀y'); // x \ud83d \ude00 y
    d.insert(2, '!'); // inside the pair: moves after it
    assert.equal(d.toString(), 'x😀!y');
    d.delete(2, 1); // cuts the pair: widened to the whole pair
    assert.equal(d.toString(), 'x!y');
    d.insert(1, '🎉');
    d.delete(0, 2); // ends inside the pair: widened
    assert.equal(d.toString(), '!y');
  });
});

describe('text/TextDoc remote merging', () => {
  it('merges concurrent edits identically and returns editor changes', () => {
    const a = new TextDoc('alice');
    const b = new TextDoc('bob');
    b.applyRemote(a.insert(0, 'Hello world'));
    const opsA = [...a.insert(5, ','), ...a.delete(6, 6)];
    const opsB = [...b.insert(11, '!'), ...b.insert(0, '> ')];
    let mirrorA = a.toString();
    let mirrorB = b.toString();
    mirrorA = applyChanges(mirrorA, a.applyRemote(opsB));
    mirrorB = applyChanges(mirrorB, b.applyRemote(opsA));
    assert.equal(a.toString(), b.toString());
    assert.equal(a.toString(), '> Hello,!');
    assert.equal(mirrorA, a.toString());
    assert.equal(mirrorB, b.toString());
  });

  it('ignores ops already applied, also partly applied ones', () => {
    const a = new TextDoc('alice');
    const b = new TextDoc('bob');
    const ops = a.insert(0, 'abc');
    b.applyRemote(ops);
    assert.deepEqual(b.applyRemote(ops), []);
    a.insert(3, 'def');
    const all = a.opsSince(new Map()); // one run 'abcdef', of which 'abc' is held
    assert.equal(all.length, 1);
    assert.deepEqual(b.applyRemote(all), [{ offset: 3, deleteCount: 0, insert: 'def' }]);
    assert.equal(b.toString(), 'abcdef');
  });

  it('does not interleave concurrent typing at one place (forward and backward)', () => {
    for (const backward of [false, true]) {
      const a = new TextDoc('alice');
      const b = new TextDoc('bob');
      b.applyRemote(a.insert(0, '[]'));
      const opsA: TextOp[] = [];
      const opsB: TextOp[] = [];
      for (let i = 0; i < 4; i++) {
        opsA.push(...a.insert(backward ? 1 : 1 + i, 'a'));
        opsB.push(...b.insert(backward ? 1 : 1 + i, 'b'));
      }
      a.applyRemote(opsB);
      b.applyRemote(opsA);
      assert.equal(a.toString(), b.toString());
      assert.ok(['[aaaabbbb]', '[bbbbaaaa]'].includes(a.toString()), a.toString());
    }
  });

  it('throws MissingDependencyError for a gap and applies nothing of the batch', () => {
    const a = new TextDoc('alice');
    const b = new TextDoc('bob');
    const first = a.insert(0, 'ab');
    const second = a.insert(2, 'cd');
    const c = new TextDoc('carol');
    c.applyRemote(b.insert(0, 'x'));
    assert.throws(() => c.applyRemote(second), MissingDependencyError);
    // A batch whose first op is fine and second is not: nothing applied.
    assert.throws(() => c.applyRemote([...b.insert(1, 'y'), ...second]), MissingDependencyError);
    assert.equal(c.toString(), 'x');
    c.applyRemote(first);
    c.applyRemote(second);
    assert.equal(c.toString(), 'abcdx');
  });

  it('throws InvalidOpError for ops that can never apply', () => {
    const a = new TextDoc('alice');
    a.insert(0, 'abc');
    a.delete(0, 1); // ids alice:3 is a delete, not a character
    const d = new TextDoc('d');
    d.applyRemote(a.opsSince(new Map()));
    const bad: TextOp[] = [
      { kind: 'insert', agent: 'eve', seq: 0, originLeft: { agent: 'alice', seq: 3 }, originRight: null, text: 'x' },
      { kind: 'delete', agent: 'eve', seq: 0, target: { agent: 'alice', seq: 2 }, length: 2 },
      { kind: 'insert', agent: 'eve', seq: 0, originLeft: { agent: 'eve', seq: 0 }, originRight: null, text: 'x' },
      { kind: 'insert', agent: 'eve', seq: 0, originLeft: null, originRight: null, text: '' },
      { kind: 'delete', agent: 'eve', seq: 0, target: { agent: 'alice', seq: 0 }, length: 0 },
      { kind: 'insert', agent: '', seq: 0, originLeft: null, originRight: null, text: 'x' },
      { kind: 'bogus' } as unknown as TextOp,
    ];
    for (const op of bad) assert.throws(() => d.applyRemote([op]), InvalidOpError, JSON.stringify(op));
    assert.equal(d.toString(), 'bc');
    assert.deepEqual([...d.version()], [['alice', 4]]);
  });

  it('delivers ops since a version vector in causal order', () => {
    const a = new TextDoc('alice');
    const b = new TextDoc('bob');
    a.insert(0, 'one ');
    sync(a, b);
    b.insert(4, 'two ');
    sync(b, a);
    a.delete(0, 4);
    a.insert(4, 'three');
    const c = new TextDoc('carol');
    c.applyRemote(a.opsSince(c.version()));
    assert.equal(c.toString(), 'two three');
    sync(a, b);
    assert.equal(b.toString(), 'two three');
    assert.deepEqual(a.opsSince(b.version()), []);
  });
});

describe('text/TextDoc anchors', () => {
  it('stay with their characters under concurrent edits and deletion', () => {
    const a = new TextDoc('alice');
    const b = new TextDoc('bob');
    b.applyRemote(a.insert(0, 'abcdef'));
    const before = a.anchorAt(3, 'before'); // after 'c'
    const after = a.anchorAt(3, 'after'); // before 'd'
    const start = a.anchorAt(0, 'before');
    const end = a.anchorAt(6, 'after');
    a.applyRemote([...b.insert(0, 'XY'), ...b.insert(5, '--')]); // XYabc--def
    assert.equal(a.toString(), 'XYabc--def');
    assert.equal(a.offsetOf(before), 5);
    assert.equal(a.offsetOf(after), 7);
    assert.equal(a.offsetOf(start), 0);
    assert.equal(a.offsetOf(end), 10);
    a.delete(4, 4); // XYab|ef : 'c', '--', 'd' gone
    assert.equal(a.offsetOf(before), 4);
    assert.equal(a.offsetOf(after), 4);
    assert.throws(() => a.offsetOf({ id: { agent: 'zed', seq: 0 }, bias: 'before' }), MissingDependencyError);
  });
});
