import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteWriter } from '../../../protocol/src/codec/bytes.js';
import { DecodeError } from '../../../protocol/src/codec/errors.js';
import { TextDoc, decodeOps, decodeState, encodeOps, type TextOp } from '../../../protocol/src/text/index.js';
import { int, rng } from './helpers.js';

function sample(): TextDoc {
  const a = new TextDoc('alice');
  const b = new TextDoc('bob');
  b.applyRemote(a.insert(0, 'The quick brown fox 😀'));
  a.applyRemote([...b.delete(4, 6), ...b.insert(4, 'slow ')]);
  a.insert(0, '> ');
  a.delete(a.length - 2, 2);
  return a;
}

function mustFailWithDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${String(e)}`);
    return;
  }
}

describe('text/codec', () => {
  it('round-trips op batches', () => {
    const a = sample();
    const ops = a.opsSince(new Map());
    const bytes = encodeOps(ops);
    assert.equal(bytes[0], 1);
    assert.deepEqual(decodeOps(bytes), ops);
    assert.deepEqual(decodeOps(encodeOps([])), []);
  });

  it('golden op vector', () => {
    const op: TextOp = { kind: 'insert', agent: 'a', seq: 0, originLeft: null, originRight: null, text: 'hi' };
    assert.deepEqual([...encodeOps([op])], [1, 1, 1, 0x61, 1, 0, 0, 0, 2, 0x68, 0x69]);
  });

  it('round-trips the state: same text, version, ops and further merging', () => {
    const a = sample();
    const bytes = a.encodeState();
    assert.equal(bytes[0], 2);
    const c = TextDoc.decodeState(bytes, 'carol');
    assert.equal(c.toString(), a.toString());
    assert.deepEqual(c.version(), a.version());
    // Version 2 keeps the deleted text: the decoded replica's ops are the original's.
    assert.deepEqual(c.opsSince(new Map()), a.opsSince(new Map()));
    assert.equal(decodeState(c.encodeState()).toString(), a.toString());
    // Both replicas accept the same concurrent edit and agree.
    const fresh = new TextDoc('dave');
    fresh.applyRemote(a.opsSince(new Map()));
    const op = fresh.insert(3, 'NEW');
    a.applyRemote(op);
    c.applyRemote(op);
    assert.equal(c.toString(), a.toString());
    // opsSince of a decoded replica rebuilds the visible text.
    const e = new TextDoc('erin');
    e.applyRemote(c.opsSince(new Map()));
    assert.equal(e.toString(), a.toString());
    // Empty document.
    assert.equal(TextDoc.decodeState(new TextDoc('x').encodeState(), 'y').toString(), '');
  });

  it('refuses corrupt input with DecodeError only', function () {
    this.timeout(60_000);
    const state = sample().encodeState();
    const ops = encodeOps(sample().opsSince(new Map()));
    const r = rng(1234);
    for (const base of [state, ops]) {
      const decode = base === state ? (b: Uint8Array) => TextDoc.decodeState(b, 'z') : decodeOps;
      assert.throws(() => decode(new Uint8Array([])), DecodeError);
      assert.throws(() => decode(new Uint8Array([9, 0, 0])), DecodeError);
      for (let cut = 0; cut < base.length; cut++) mustFailWithDecodeError(() => decode(base.subarray(0, cut)));
      for (let i = 0; i < 3000; i++) {
        const b = Uint8Array.from(base);
        for (let k = 1 + int(r, 3); k > 0; k--) b[int(r, b.length)] = int(r, 256);
        mustFailWithDecodeError(() => decode(b));
      }
    }
  });

  it('decodes mutated state bodies to a usable replica or a DecodeError', function () {
    this.timeout(60_000);
    const a = sample();
    a.applyRemote(new TextDoc('zed').insert(0, 'concurrent '));
    const body = inflateRawSync(a.encodeState().subarray(1));
    const r = rng(99);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const b = Uint8Array.from(body);
      for (let k = 1 + int(r, 2); k > 0; k--) b[int(r, b.length)] = r() < 0.5 ? int(r, 256) : b[int(r, b.length)]! ^ (1 << int(r, 8));
      const bytes = Uint8Array.from([2, ...deflateRawSync(b)]);
      let doc: TextDoc;
      try {
        doc = TextDoc.decodeState(bytes, 'z');
      } catch (e) {
        assert.ok(e instanceof DecodeError, `expected DecodeError, got ${String(e)}`);
        continue;
      }
      accepted++;
      // Whatever is accepted is a working replica.
      doc.toString();
      TextDoc.decodeState(doc.encodeState(), 'y');
      doc.opsSince(new Map());
      doc.insert(doc.length, '!');
      if (doc.length > 1) doc.delete(0, 1);
    }
    assert.ok(accepted < 3000);
  });

  it('refuses states that are well-formed bytes but inconsistent', () => {
    /** A state body of one agent 'a': varuints (signed fields given already zig-zagged), then the text. */
    const state = (nums: number[], text: string): Uint8Array => {
      const w = new ByteWriter();
      w.writeVarUint(1);
      w.writeString('a');
      for (const n of nums) w.writeVarUint(n);
      w.writeString(text);
      return Uint8Array.from([1, ...deflateRawSync(w.finish())]);
    };
    const bad = [
      // log: insert a:0..2; no runs
      state([1, 0, 3, 0], ''),
      // log: delete (forward, 2 ids) before any insert
      state([1, 1, 2, 0, 0, 0], ''),
      // insert a:0..1 as one run whose left origin is its own last char
      state([1, 0, 2, 1, 0, 2, 0, 1, 0], 'xy'),
      // text longer than the visible runs
      state([1, 0, 2, 1, 0, 2, 0, 0, 0], 'xyz'),
      // run beyond the allocated ids
      state([1, 0, 2, 1, 0, 3, 0, 0, 0], 'xyz'),
    ];
    assert.equal(TextDoc.decodeState(state([1, 0, 2, 1, 0, 2, 0, 0, 0], 'xy'), 'z').toString(), 'xy');
    for (const b of bad) assert.throws(() => TextDoc.decodeState(b, 'z'), DecodeError);
  });
});
