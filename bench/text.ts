/**
 * Text CRDT benchmark against Yjs on the automerge-paper trace (259,778 edits, one
 * transaction per edit), same process, same input. Figures (docs/BENCHMARKS.md):
 *   text.apply_ms         replay every edit locally
 *   text.encoded_bytes    the whole document encoded (Yjs: encodeStateAsUpdateV2)
 *   text.load_ms          decode that into a fresh replica (Yjs: applyUpdateV2 into a new doc)
 *   text.remote_apply_ms  a fresh replica applies every edit's update one by one, as a peer
 *                         receiving them would (ours: decodeOps + applyRemote per edit;
 *                         Yjs: applyUpdateV2 of each captured 'updateV2')
 *   text.heap_bytes       heap (heapUsed + arrayBuffers) held by the built document, after GC
 *   text.diff_*_ms        the diff of a file changed on disk (bench/_text-diff.ts)
 * Timings alternate between the two sides round by round, after a warm-up, and report
 * the median, so that load from other processes hits both alike.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as Y from 'yjs';
import { TextDoc, decodeOps, encodeOps } from '../protocol/src/index.js';
import { runDiff } from './_text-diff.js';
import { loadTrace, type Patch } from './_traces.js';
import { median, record, timeMedian } from './report.js';

const INPUT = 'automerge-paper';

function gcFunction(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function weftApply(edits: Patch[][]): TextDoc {
  const doc = new TextDoc('author');
  for (const patches of edits) {
    for (const [pos, del, ins] of patches) {
      if (del > 0) doc.delete(pos, del);
      if (ins.length > 0) doc.insert(pos, ins);
    }
  }
  return doc;
}

function yjsApply(edits: Patch[][], onUpdate?: (u: Uint8Array) => void): Y.Doc {
  const doc = new Y.Doc();
  const text = doc.getText('text');
  if (onUpdate) doc.on('updateV2', onUpdate);
  for (const patches of edits) {
    doc.transact(() => {
      for (const [pos, del, ins] of patches) {
        if (del > 0) text.delete(pos, del);
        if (ins.length > 0) text.insert(pos, ins);
      }
    });
  }
  return doc;
}

/** Alternates the two sides `rounds` times after one warm-up each; medians in ms. */
function alternate(rounds: number, a: () => unknown, b: () => unknown): [number, number] {
  a();
  b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t0 = performance.now();
    a();
    ta.push(performance.now() - t0);
    t0 = performance.now();
    b();
    tb.push(performance.now() - t0);
  }
  return [median(ta), median(tb)];
}

function heapOf(gc: () => void, build: () => unknown): number {
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc();
  gc();
  const before = used();
  const kept = build();
  gc();
  gc();
  const after = used();
  if (kept === undefined) throw new Error('unreachable');
  return after - before;
}

export async function run(): Promise<void> {
  const trace = loadTrace(INPUT);
  const edits = trace.txns.map((t) => t.patches);
  const common = { baseline: 'yjs', input: INPUT };

  // Correctness first: both sides must reach the trace's final text.
  const weftDoc = weftApply(edits);
  const yDoc = yjsApply(edits);
  if (weftDoc.toString() !== trace.endContent) throw new Error('weft replay does not match endContent');
  if (yDoc.getText('text').toString() !== trace.endContent) throw new Error('yjs replay does not match endContent');

  const APPLY_RUNS = 5;
  const [applyW, applyY] = alternate(APPLY_RUNS, () => weftApply(edits), () => yjsApply(edits));
  record({ figure: 'text.apply_ms', weft: applyW, unit: 'ms', baseline_value: applyY, runs: APPLY_RUNS, ...common, note: `${edits.length} edits, one transaction each; alternating rounds after warm-up` });

  const stateW = weftDoc.encodeState();
  const stateY = Y.encodeStateAsUpdateV2(yDoc);
  record({ figure: 'text.encoded_bytes', weft: stateW.length, unit: 'bytes', baseline_value: stateY.length, ...common, note: 'weft: encodeState (deflateRaw columns); yjs: encodeStateAsUpdateV2' });

  if (TextDoc.decodeState(stateW, 'reader').toString() !== trace.endContent) throw new Error('weft state does not decode to endContent');
  const LOAD_RUNS = 21;
  const loadW = await timeMedian(() => TextDoc.decodeState(stateW, 'reader'), LOAD_RUNS, 3);
  const loadY = await timeMedian(() => Y.applyUpdateV2(new Y.Doc(), stateY), LOAD_RUNS, 3);
  const [loadW2, loadY2] = alternate(LOAD_RUNS, () => TextDoc.decodeState(stateW, 'reader'), () => Y.applyUpdateV2(new Y.Doc(), stateY));
  record({ figure: 'text.load_ms', weft: median([loadW, loadW2]), unit: 'ms', baseline_value: median([loadY, loadY2]), runs: 2 * LOAD_RUNS, ...common, note: 'decode the full state into a fresh replica' });

  // Remote: the wire form of every edit, captured once, applied one by one to a fresh replica.
  const wireW: Uint8Array[] = [];
  {
    const doc = new TextDoc('author');
    for (const patches of edits) {
      const ops = [];
      for (const [pos, del, ins] of patches) {
        if (del > 0) ops.push(...doc.delete(pos, del));
        if (ins.length > 0) ops.push(...doc.insert(pos, ins));
      }
      wireW.push(encodeOps(ops));
    }
  }
  const wireY: Uint8Array[] = [];
  yjsApply(edits, (u) => wireY.push(u));
  const remoteW = (): TextDoc => {
    const doc = new TextDoc('peer');
    for (const w of wireW) doc.applyRemote(decodeOps(w));
    return doc;
  };
  const remoteY = (): Y.Doc => {
    const doc = new Y.Doc();
    for (const u of wireY) Y.applyUpdateV2(doc, u);
    return doc;
  };
  if (remoteW().toString() !== trace.endContent) throw new Error('weft remote replay does not match endContent');
  if (remoteY().getText('text').toString() !== trace.endContent) throw new Error('yjs remote replay does not match endContent');
  const REMOTE_RUNS = 5;
  const [remW, remY] = alternate(REMOTE_RUNS, remoteW, remoteY);
  record({ figure: 'text.remote_apply_ms', weft: remW, unit: 'ms', baseline_value: remY, runs: REMOTE_RUNS, ...common, note: 'one update per edit, decoded and applied in order on a fresh replica' });

  const gc = gcFunction();
  const heapsW: number[] = [];
  const heapsY: number[] = [];
  for (let i = 0; i < 3; i++) {
    heapsW.push(heapOf(gc, () => weftApply(edits)));
    heapsY.push(heapOf(gc, () => yjsApply(edits)));
  }
  record({ figure: 'text.heap_bytes', weft: median(heapsW), unit: 'bytes', baseline_value: median(heapsY), runs: 3, ...common, note: 'heapUsed + arrayBuffers growth holding the built document, after GC' });

  await runDiff();
}
