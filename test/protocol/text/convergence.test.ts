/**
 * Seeded property tests: 3 to 5 replicas edit concurrently and exchange their op
 * batches in random interleavings. Batches are offered in any order; one whose
 * dependencies are missing is refused (MissingDependencyError, nothing applied) and
 * offered again later. Every replica mirrors the editor changes it reports, and some
 * replicas are replaced mid-way by a decoded copy of their state.
 */
import assert from 'node:assert/strict';
import { MissingDependencyError, TextDoc, type TextOp } from '../../../protocol/src/text/index.js';
import { applyChanges, int, rng, withSeed } from './helpers.js';

const ALPHABET = ['a', 'b', 'c', ' ', '\n', 'é', '😀', 'xyz', 'hello '];

interface Replica {
  name: string;
  doc: TextDoc;
  mirror: string;
  /** batches this replica created, in order */
  outbox: TextOp[][];
  /** next batch of each other replica's outbox to deliver */
  cursor: number[];
}

function randomEdit(r: () => number, rep: Replica): void {
  const d = rep.doc;
  let ops: TextOp[];
  if (d.length > 0 && r() < 0.35) {
    const off = int(r, d.length);
    ops = d.delete(off, 1 + int(r, Math.min(8, d.length - off)));
  } else {
    let text = '';
    for (let k = 1 + int(r, 3); k > 0; k--) text += ALPHABET[int(r, ALPHABET.length)]!;
    // Often keep typing where the last edit was, like a person does.
    ops = d.insert(int(r, d.length + 1), text);
  }
  rep.mirror = d.toString();
  if (ops.length > 0) rep.outbox.push(ops);
}

function deliver(rep: Replica, batch: TextOp[]): boolean {
  const before = rep.doc.toString();
  const version = [...rep.doc.version()];
  try {
    rep.mirror = applyChanges(rep.mirror, rep.doc.applyRemote(batch));
  } catch (e) {
    if (!(e instanceof MissingDependencyError)) throw e;
    assert.equal(rep.doc.toString(), before, 'a refused batch changed the text');
    assert.deepEqual([...rep.doc.version()], version, 'a refused batch changed the version');
    return false;
  }
  assert.equal(rep.mirror, rep.doc.toString(), 'editor changes do not reproduce the text');
  return true;
}

function simulate(seed: number, steps: number): void {
  const r = rng(seed);
  const n = 3 + int(r, 3);
  const reps: Replica[] = Array.from({ length: n }, (_, i) => ({
    name: `agent-${String.fromCharCode(65 + ((i * 7 + seed) % 26))}${i}`,
    doc: new TextDoc(`agent-${String.fromCharCode(65 + ((i * 7 + seed) % 26))}${i}`),
    mirror: '',
    outbox: [],
    cursor: new Array<number>(n).fill(0),
  }));
  for (let step = 0; step < steps; step++) {
    const x = r();
    const i = int(r, n);
    const rep = reps[i]!;
    if (x < 0.5) randomEdit(r, rep);
    else if (x < 0.97) {
      const j = int(r, n);
      if (j === i) continue;
      const c = rep.cursor[j]!;
      const batch = reps[j]!.outbox[c];
      if (batch === undefined) continue;
      if (deliver(rep, batch)) {
        rep.cursor[j] = c + 1;
        if (r() < 0.1) assert.deepEqual(rep.doc.applyRemote(batch), [], 'a batch applied twice changed the text');
      }
    } else {
      // Replace the replica by a decoded copy of its state.
      const copy = TextDoc.decodeState(rep.doc.encodeState(), rep.name);
      assert.equal(copy.toString(), rep.doc.toString());
      assert.deepEqual(copy.version(), rep.doc.version());
      rep.doc = copy;
    }
  }
  // Deliver everything.
  for (let progress = true; progress; ) {
    progress = false;
    for (const rep of reps) {
      for (let j = 0; j < n; j++) {
        if (reps[j] === rep) continue;
        while (rep.cursor[j]! < reps[j]!.outbox.length && deliver(rep, reps[j]!.outbox[rep.cursor[j]!]!)) {
          rep.cursor[j]!++;
          progress = true;
        }
      }
    }
  }
  const text = reps[0]!.doc.toString();
  for (const rep of reps) {
    assert.equal(rep.doc.toString(), text, `${rep.name} diverged`);
    assert.deepEqual(rep.doc.version(), reps[0]!.doc.version());
  }
  // A late joiner catches up from any replica's opsSince and from a decoded state.
  const late = new TextDoc('late');
  late.applyRemote(reps[n - 1]!.doc.opsSince(new Map()));
  assert.equal(late.toString(), text);
  assert.equal(TextDoc.decodeState(reps[1]!.doc.encodeState(), 'z').toString(), text);
}

describe('text/convergence (seeded)', () => {
  const base = Number(process.env.WEFT_TEXT_SEED ?? 20240601);
  it('3-5 replicas converge under random delivery orders (200 seeds)', function () {
    this.timeout(60_000);
    for (let s = 0; s < 200; s++) withSeed(base + s, (seed) => simulate(seed, 120));
  });

  it('long sessions converge (5 seeds, 3000 steps)', function () {
    this.timeout(60_000);
    for (let s = 0; s < 5; s++) withSeed(base + 1000 + s, (seed) => simulate(seed, 3000));
  });
});
