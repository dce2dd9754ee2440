/**
 * `npm run bench -- log`: the automerge-paper trace as real signed, encrypted commits.
 *
 * Batching: a live editor closes a commit 40 ms after its first edit (CommitBatcher); the
 * trace has no timestamps, so we model a sustained typist at 10 edits/s with bursts, i.e.
 * BATCH edits per commit (default 100 = a 10 s typing burst, the batcher's maxOps cap;
 * set WEFT_LOG_BATCH to try others). Baseline: the same edits as Yjs updates, one update
 * per batch (a Y.Doc transaction per batch, V1 update encoding as y-protocols sends).
 * Figures: log.commit_ms (making the commits / the updates), log.replay_ms (a fresh
 * replica verifying, decrypting and applying every commit / Y.applyUpdate of every
 * update), log.wire_bytes (sum of commit bytes / update bytes).
 */
import * as Y from 'yjs';
import { signingKeyPairFromSeed, ShareReplica } from '../protocol/src/index.js';
import { loadTrace, type SequentialTrace } from './_traces.js';
import { median, record } from './report.js';

const BATCH = Number(process.env.WEFT_LOG_BATCH ?? 100);
const RUNS = 3;

function weftCommits(trace: SequentialTrace): { ms: number; commits: Uint8Array[]; replica: ShareReplica } {
  const owner = signingKeyPairFromSeed(new Uint8Array(32).fill(1));
  const t0 = performance.now();
  const { replica, genesis } = ShareReplica.create('bench', owner);
  const commits = [genesis.bytes];
  const file = replica.createFile('paper.tex');
  let n = 0;
  for (const txn of trace.txns) {
    for (const [pos, del, ins] of txn.patches) replica.edit(file, pos, del, ins);
    if (++n % BATCH === 0) commits.push(replica.flush()!.bytes);
  }
  const last = replica.flush();
  if (last) commits.push(last.bytes);
  return { ms: performance.now() - t0, commits, replica };
}

function weftReplay(commits: Uint8Array[], shareId: Uint8Array, boxes: Uint8Array[]): { ms: number; text: string } {
  const owner = signingKeyPairFromSeed(new Uint8Array(32).fill(1));
  const t0 = performance.now();
  const r = new ShareReplica({ shareId, me: owner });
  r.addKeys(boxes);
  for (const c of commits) r.receive(c);
  const ms = performance.now() - t0;
  const file = r.fileAt('paper.tex')!;
  return { ms, text: r.text(file) };
}

function yjsUpdates(trace: SequentialTrace): { ms: number; updates: Uint8Array[] } {
  const t0 = performance.now();
  const doc = new Y.Doc();
  const text = doc.getText('paper.tex');
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  const txns = trace.txns;
  for (let i = 0; i < txns.length; i += BATCH) {
    doc.transact(() => {
      for (let j = i; j < Math.min(i + BATCH, txns.length); j++) {
        for (const [pos, del, ins] of txns[j]!.patches) {
          if (del) text.delete(pos, del);
          if (ins) text.insert(pos, ins);
        }
      }
    });
  }
  return { ms: performance.now() - t0, updates };
}

function yjsReplay(updates: Uint8Array[]): { ms: number; text: string } {
  const t0 = performance.now();
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  const ms = performance.now() - t0;
  return { ms, text: doc.getText('paper.tex').toString() };
}

export async function run(): Promise<void> {
  const trace = loadTrace('automerge-paper');
  console.log(`automerge-paper: ${trace.txns.length} edits, ${BATCH} edits per commit`);
  const wc: number[] = [];
  const yc: number[] = [];
  const wr: number[] = [];
  const yr: number[] = [];
  let commits: Uint8Array[] = [];
  let updates: Uint8Array[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const w = weftCommits(trace);
    const y = yjsUpdates(trace);
    const boxes = w.replica.keyBoxesFor(w.replica.me.publicKey);
    const rw = weftReplay(w.commits, w.replica.shareId, boxes);
    const ry = yjsReplay(y.updates);
    if (rw.text !== trace.endContent) throw new Error('weft replay does not end in endContent');
    if (ry.text !== trace.endContent) throw new Error('yjs replay does not end in endContent');
    if (i === 0) continue; // warm-up
    wc.push(w.ms);
    yc.push(y.ms);
    wr.push(rw.ms);
    yr.push(ry.ms);
    commits = w.commits;
    updates = y.updates;
  }
  const input = `automerge-paper, ${BATCH} edits/commit`;
  record({ figure: 'log.commit_ms', weft: median(wc), baseline: 'yjs', baseline_value: median(yc), unit: 'ms', input, runs: RUNS });
  record({ figure: 'log.replay_ms', weft: median(wr), baseline: 'yjs', baseline_value: median(yr), unit: 'ms', input, runs: RUNS });
  const sum = (xs: Uint8Array[]) => xs.reduce((a, b) => a + b.length, 0);
  record({ figure: 'log.wire_bytes', weft: sum(commits), baseline: 'yjs', baseline_value: sum(updates), unit: 'bytes', input, note: `${commits.length} commits, ${updates.length} updates` });
}
