/**
 * Replays of real editing traces (bench/traces, see bench/traces/README.md): the two
 * sequential ones locally, and `friendsforever` with its real concurrency, one replica
 * per agent, each txn applied on a replica that has merged exactly its parents' causal
 * history.
 */
import assert from 'node:assert/strict';
import { TextDoc, decodeOps, encodeOps, type TextOp, type VersionVector } from '../../../protocol/src/text/index.js';
import { loadTrace, type ConcurrentTrace, type SequentialTrace } from '../../../bench/_traces.js';

function replaySequential(name: string): void {
  const trace = loadTrace<SequentialTrace>(name);
  const doc = new TextDoc('author');
  const remote = new TextDoc('reader');
  // The text at 20 points of the history, for textAt.
  const every = Math.ceil(trace.txns.length / 20);
  const seen: Array<[VersionVector, string]> = [];
  for (const [i, txn] of trace.txns.entries()) {
    if (i % every === 0) seen.push([doc.version(), doc.toString()]);
    const ops: TextOp[] = [];
    for (const [pos, del, ins] of txn.patches) {
      if (del > 0) ops.push(...doc.delete(pos, del));
      if (ins.length > 0) ops.push(...doc.insert(pos, ins));
    }
    remote.applyRemote(decodeOps(encodeOps(ops)));
  }
  assert.equal(doc.toString(), trace.endContent);
  assert.equal(remote.toString(), trace.endContent);
  const decoded = TextDoc.decodeState(doc.encodeState(), 'third');
  assert.equal(decoded.toString(), trace.endContent);
  assert.deepEqual(decoded.version(), doc.version());
  for (const [v, text] of seen) {
    assert.equal(doc.textAt(v), text);
    assert.equal(decoded.textAt(v), text);
  }
  const caughtUp = new TextDoc('fourth');
  caughtUp.applyRemote(decoded.opsSince(new Map()));
  assert.equal(caughtUp.toString(), trace.endContent);
}

describe('text/trace replays', function () {
  this.timeout(60_000);

  it('automerge-paper ends in its endContent (local, remote, decoded), and textAt gives its text along the way', () => replaySequential('automerge-paper'));
  it('sveltecomponent ends in its endContent (local, remote, decoded)', () => replaySequential('sveltecomponent'));

  it('friendsforever replayed with its concurrency ends in its endContent', () => {
    const trace = loadTrace<ConcurrentTrace>('friendsforever');
    const docs = Array.from({ length: trace.numAgents }, (_, a) => new TextDoc(`friend-${a}`));
    const applied = docs.map(() => new Uint8Array(trace.txns.length));
    const txnOps: TextOp[][] = [];
    /** Merges into replica a every txn of the causal history of `heads` it lacks, in txn order. */
    const mergeHistory = (a: number, heads: number[]): void => {
      const missing: number[] = [];
      const stack = heads.filter((h) => !applied[a]![h]);
      const seen = new Set(stack);
      while (stack.length > 0) {
        const t = stack.pop()!;
        missing.push(t);
        for (const p of trace.txns[t]!.parents) {
          if (!applied[a]![p] && !seen.has(p)) {
            seen.add(p);
            stack.push(p);
          }
        }
      }
      missing.sort((x, y) => x - y);
      for (const t of missing) {
        docs[a]!.applyRemote(txnOps[t]!);
        applied[a]![t] = 1;
      }
    };
    trace.txns.forEach((txn, t) => {
      const a = txn.agent;
      mergeHistory(a, txn.parents);
      const doc = docs[a]!;
      const ops: TextOp[] = [];
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) ops.push(...doc.delete(pos, del));
        if (ins.length > 0) ops.push(...doc.insert(pos, ins));
      }
      txnOps.push(ops);
      applied[a]![t] = 1;
    });
    const all = trace.txns.map((_, t) => t);
    docs.forEach((_, a) => mergeHistory(a, all));
    for (const doc of docs) assert.equal(doc.toString(), trace.endContent);
    const decoded = TextDoc.decodeState(docs[0]!.encodeState(), 'reader');
    assert.equal(decoded.toString(), trace.endContent);
    const fresh = new TextDoc('fresh');
    fresh.applyRemote(docs[1]!.opsSince(new Map()));
    assert.equal(fresh.toString(), trace.endContent);
  });
});
