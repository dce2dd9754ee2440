/**
 * Seeded property tests of the text at an old version and of an edit made at one.
 *
 * - textAt: along a random history of two or three replicas exchanging ops, the text
 *   recorded at each version is what textAt(that version) gives, at the end and on a
 *   copy decoded from the encoded state; textAt(version()) is the text.
 * - editAt: a base shared by `a` and `b`; after version v, `a` types on (ops Ra) and `b`
 *   too (Rb), and `a` merges Rb; then `a` makes an edit of textAt(v) with editAt(v, ...).
 *   The reference is the same edit typed by a replica that holds exactly v, under the
 *   name 'a~' (it sorts like 'a' against every other name and after 'a' itself, as a's
 *   later ids do), which then merges Ra and Rb: its text must be a's. A third replica
 *   (b) given Ra and editAt's ops must show the same text, and when a typed nothing
 *   after v the ops must be exactly those typed at v under a's own name.
 */
import assert from 'node:assert/strict';
import { compactOps } from '../../../protocol/src/text/compact-ops.js';
import { diffHunks } from '../../../protocol/src/text/diff.js';
import { MissingDependencyError, TextDoc, type Hunk, type TextOp, type VersionVector } from '../../../protocol/src/text/index.js';
import { int, rng, withSeed } from './helpers.js';

const PIECES = ['a', 'b', 'c', ' ', '\n', '\r\n', 'é', '😀', 'xyz', 'line\n', '}\n'];

function randomText(r: () => number, pieces: number): string {
  let t = '';
  for (let k = 0; k < pieces; k++) t += PIECES[int(r, PIECES.length)]!;
  return t;
}

/** A random local edit on `d`; returns its ops. */
function randomEdit(r: () => number, d: TextDoc): TextOp[] {
  if (d.length > 0 && r() < 0.4) {
    const off = int(r, d.length);
    return d.delete(off, 1 + int(r, Math.min(6, d.length - off)));
  }
  return d.insert(int(r, d.length + 1), randomText(r, 1 + int(r, 3)));
}

/** Offsets of `t` that do not fall inside a surrogate pair. */
function safeOffsets(t: string): number[] {
  const out = [0];
  for (let i = 1; i <= t.length; i++) {
    const c = t.charCodeAt(i - 1);
    if (!(c >= 0xd800 && c <= 0xdbff && i < t.length)) out.push(i);
  }
  return out;
}

/** Random hunks of `t`: either a diff to a randomly edited copy, or random ascending ranges. */
function randomHunks(r: () => number, t: string): Hunk[] {
  if (r() < 0.5) {
    let u = t;
    for (let k = 1 + int(r, 4); k > 0; k--) {
      const offs = safeOffsets(u);
      const i = int(r, offs.length);
      const j = Math.min(offs.length - 1, i + int(r, 4));
      u = u.slice(0, offs[i]) + (r() < 0.7 ? randomText(r, 1 + int(r, 3)) : '') + u.slice(offs[j]);
    }
    return diffHunks(t, u);
  }
  const offs = safeOffsets(t);
  const cuts = Array.from({ length: 2 * (1 + int(r, 3)) }, () => offs[int(r, offs.length)]!).sort((x, y) => x - y);
  const hunks: Hunk[] = [];
  for (let k = 0; k < cuts.length; k += 2) {
    const h = { offset: cuts[k]!, deleteCount: cuts[k + 1]! - cuts[k]!, insert: r() < 0.7 ? randomText(r, 1 + int(r, 2)) : '' };
    if (h.deleteCount > 0 || h.insert.length > 0) hunks.push(h);
  }
  return hunks;
}

function applyHunks(text: string, hunks: readonly Hunk[]): string {
  for (let i = hunks.length - 1; i >= 0; i--) {
    const h = hunks[i]!;
    text = text.slice(0, h.offset) + h.insert + text.slice(h.offset + h.deleteCount);
  }
  return text;
}

/** Types `hunks` on `d` from the last to the first, as a person at that text would. */
function typeHunks(d: TextDoc, hunks: readonly Hunk[]): TextOp[] {
  const ops: TextOp[] = [];
  for (let i = hunks.length - 1; i >= 0; i--) {
    const h = hunks[i]!;
    ops.push(...d.delete(h.offset, h.deleteCount), ...d.insert(h.offset, h.insert));
  }
  return ops;
}

function textAtHistory(seed: number): void {
  const r = rng(seed);
  const docs = Array.from({ length: 2 + int(r, 2) }, (_, i) => new TextDoc(`agent${i}`));
  const outbox: TextOp[][] = docs.map(() => []);
  const delivered = docs.map(() => docs.map(() => 0));
  const seen: Array<[VersionVector, string]> = [];
  for (let step = 0; step < 80; step++) {
    const i = int(r, docs.length);
    if (r() < 0.6) outbox[i]!.push(...randomEdit(r, docs[i]!));
    else {
      // Deliver everything another replica has made so far, unless it needs ops of a third one first.
      const j = int(r, docs.length);
      if (j !== i) {
        try {
          docs[i]!.applyRemote(outbox[j]!.slice(delivered[i]![j]));
          delivered[i]![j] = outbox[j]!.length;
        } catch (e) {
          if (!(e instanceof MissingDependencyError)) throw e;
        }
      }
    }
    if (i === 0) seen.push([docs[0]!.version(), docs[0]!.toString()]);
  }
  const d = docs[0]!;
  assert.equal(d.textAt(d.version()), d.toString());
  const copy = TextDoc.decodeState(d.encodeState(), 'agent0');
  for (const [v, text] of seen) {
    assert.equal(d.textAt(v), text, `textAt(${JSON.stringify([...v])})`);
    assert.equal(copy.textAt(v), text, `textAt(${JSON.stringify([...v])}) on a decoded copy`);
  }
}

function editAtScenario(seed: number): void {
  const r = rng(seed);
  let a = new TextDoc('a');
  const b = new TextDoc('b');
  // A shared base, written by both.
  for (let k = 1 + int(r, 6); k > 0; k--) b.applyRemote(randomEdit(r, a));
  for (let k = int(r, 4); k > 0; k--) a.applyRemote(randomEdit(r, b));
  const v = a.version();
  const old = a.toString();
  assert.deepEqual(b.version(), v);
  // Concurrent work after v: a's own (Ra) and b's (Rb), which a merges.
  const ra: TextOp[] = [];
  const rb: TextOp[] = [];
  if (r() < 0.5) for (let k = 1 + int(r, 3); k > 0; k--) ra.push(...randomEdit(r, a));
  for (let k = int(r, 5); k > 0; k--) rb.push(...randomEdit(r, b));
  a.applyRemote(rb);
  // editAt must work on a replica restored from its encoded state too.
  if (r() < 0.3) a = TextDoc.decodeState(a.encodeState(), 'a');
  assert.equal(a.textAt(v), old);
  const hunks = randomHunks(r, old);
  const edit = a.editAt(v, hunks);
  // The reference: typed at v by 'a~', then merged with Ra and Rb.
  const ref = new TextDoc('a~');
  ref.applyRemote(a.opsWithin(v));
  assert.equal(ref.toString(), old);
  const typed = typeHunks(ref, hunks);
  assert.equal(ref.toString(), applyHunks(old, hunks));
  ref.applyRemote(ra);
  ref.applyRemote(rb);
  assert.equal(a.toString(), ref.toString(), 'editAt differs from an edit typed at the version and merged');
  // b, given Ra and the edit's ops, shows the same text.
  b.applyRemote(ra);
  b.applyRemote(edit);
  assert.equal(b.toString(), a.toString(), 'a third replica given the ops differs');
  assert.deepEqual(b.version(), a.version());
  assert.equal(a.textAt(v), old, 'the text at v changed');
  if (ra.length === 0) {
    // Same name, same ids: the ops are exactly those typed at v.
    const same = new TextDoc('a');
    same.applyRemote(a.opsWithin(v));
    // (Compacted: how a delete splits into ops follows the run layout, not the edit.)
    assert.deepEqual(compactOps(edit), compactOps(typeHunks(same, hunks)));
    assert.equal(typed.length, edit.length);
  }
}

describe('text/textAt and editAt (seeded)', () => {
  const base = Number(process.env.WEFT_TEXT_SEED ?? 20250301);

  it('textAt gives the text recorded at every earlier version (300 histories, also decoded)', function () {
    this.timeout(60_000);
    for (let s = 0; s < 300; s++) withSeed(base + s, textAtHistory);
  });

  it('editAt on the merged replica equals the edit typed at the version, then merged (2000 seeds)', function () {
    this.timeout(60_000);
    for (let s = 0; s < 2000; s++) withSeed(base + 10_000 + s, editAtScenario);
  });

  it('editAt at the current version is an edit of the current text', () => {
    const d = new TextDoc('me');
    d.insert(0, 'one two three\n');
    const ops = d.editAt(d.version(), [
      { offset: 0, deleteCount: 3, insert: '1' },
      { offset: 8, deleteCount: 5, insert: '3' },
    ]);
    assert.equal(d.toString(), '1 two 3\n');
    assert.ok(ops.every((o) => o.agent === 'me'));
  });

  it('refuses hunks that are not ascending or leave the text, and versions it never held', () => {
    const d = new TextDoc('me');
    d.insert(0, 'hello');
    const v = d.version();
    assert.throws(() => d.editAt(v, [{ offset: 3, deleteCount: 1, insert: '' }, { offset: 1, deleteCount: 0, insert: 'x' }]), RangeError);
    assert.throws(() => d.editAt(v, [{ offset: 4, deleteCount: 2, insert: '' }]), RangeError);
    assert.throws(() => d.textAt(new Map([['me', 9]])), RangeError);
    assert.throws(() => d.textAt(new Map([['stranger', 1]])), RangeError);
    assert.equal(d.toString(), 'hello');
    assert.equal(d.textAt(new Map()), '');
  });
});
