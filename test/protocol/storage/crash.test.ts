/**
 * Crash test with real processes: a child appends to a FileLogStore and is killed
 * with SIGKILL at a random moment (a random delay after spawn, or right after a
 * random number of acks). The parent then reopens the store and checks that every
 * acknowledged record is there, in order, byte-exact; that anything past the last
 * ack is whole, correct records only; that a second open agrees; and that appending
 * after recovery works. Each run kills the same store several times.
 * The seed is printed; WEFT_CRASH_SEED=<seed> replays the same decisions (the kill
 * instants themselves depend on timing).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FileLogStore } from '../../../protocol/storage/file-log-store.js';
import { StoreLockedError, type LoadedLog } from '../../../protocol/src/ports/log-store.js';
import { openAndClose, patternRecord, sameBytes, seededRandom, tempStoreDir } from './test-records.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const RUNS = Number(process.env.WEFT_CRASH_RUNS ?? 30); // raise for a soak run
const KILLS_PER_RUN = 2;

/**
 * When to kill: `delayMs` after spawn (often while node is still starting or the store
 * is recovering), `delayMs` after the child reported the store open (while appending),
 * or right after its `killAtAck`-th ack.
 */
interface KillPlan {
  delayMs?: number;
  from?: 'spawn' | 'open';
  killAtAck?: number;
  onFirstAck?: (pid: number) => Promise<void>;
}

interface ChildRun {
  acked: number;
  opened: boolean;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Spawns the child and kills it as `kill` says (at the latest after 10 s). */
function runChild(
  dir: string,
  seed: number,
  segmentBytes: number,
  kill: KillPlan,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed), String(segmentBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { acked: 0, opened: false, signal: null, code: null, stderr: '' };
    let acks = 0;
    let pending = '';
    const killNow = () => child.kill('SIGKILL');
    const safety = setTimeout(killNow, 10_000);
    if (kill.delayMs !== undefined && kill.from === 'spawn') setTimeout(killNow, kill.delayMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'open') {
          run.opened = true;
          if (kill.delayMs !== undefined && kill.from === 'open') setTimeout(killNow, kill.delayMs);
        }
        if (word !== 'ack') continue;
        assert.ok(Number(n) > run.acked, `acks increase: ${n} after ${run.acked}`);
        run.acked = Number(n);
        acks++;
        if (acks === kill.killAtAck) killNow();
        if (acks === 1 && kill.onFirstAck) kill.onFirstAck(child.pid!).then(killNow, reject);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (run.stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(safety);
      Object.assign(run, { code, signal });
      resolve(run);
    });
  });
}

/** Checks a loaded log against the child's deterministic records. */
function verifyLoaded(loaded: LoadedLog, seed: number, acked: number, label: string): void {
  assert.ok(loaded.records.length >= acked, `${label}: ${loaded.records.length} records loaded, ${acked} acknowledged`);
  loaded.records.forEach((r, i) => {
    if (!sameBytes(r, patternRecord(seed, i))) assert.fail(`${label}: record ${i} differs (${r.length} bytes)`);
  });
}

async function openVerifyClose(dir: string, seed: number, acked: number, label: string): Promise<LoadedLog> {
  const loaded = await openAndClose(dir);
  verifyLoaded(loaded, seed, acked, label);
  return loaded;
}

describe('FileLogStore crash test (real child process, SIGKILL)', function () {
  this.timeout(180_000);
  const baseSeed = Number(process.env.WEFT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

  it('refuses to open a store a live child holds (StoreLockedError)', async () => {
    const dir = await tempStoreDir();
    try {
      const run = await runChild(dir, 1, 1 << 20, {
        onFirstAck: async (pid) => {
          await assert.rejects(new FileLogStore(dir).open(), (err: unknown) => err instanceof StoreLockedError && err.holderPid === pid);
        },
      });
      assert.equal(run.signal, 'SIGKILL');
      await openVerifyClose(dir, 1, run.acked, 'after kill');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(`loses no acknowledged record across ${RUNS} runs x ${KILLS_PER_RUN} kills (seed ${baseSeed})`, async () => {
    console.log(`      crash test seed ${baseSeed} (replay: WEFT_CRASH_SEED=${baseSeed})`);
    const totals = { kills: 0, killedBeforeOpen: 0, acked: 0, verified: 0, pastAck: 0, tailsCut: 0, bytesCut: 0 };
    for (let r = 0; r < RUNS; r++) {
      const seed = (baseSeed + r) >>> 0;
      const next = seededRandom(seed, 0xc0ffee);
      const segmentBytes = r % 2 === 0 ? 256 * 1024 : 64 * 1024 * 1024; // half the runs rotate often
      const dir = await tempStoreDir();
      try {
        let acked = 0;
        for (let k = 0; k < KILLS_PER_RUN; k++) {
          const label = `seed ${seed} kill ${k}`;
          const mode = next() % 6;
          const delayMs = 5 + (next() % 196);
          const kill: KillPlan =
            mode < 2 ? { killAtAck: 1 + (next() % 40) } : mode < 5 ? { delayMs, from: 'open' } : { delayMs, from: 'spawn' };
          const durableBefore = acked;
          const run = await runChild(dir, seed, segmentBytes, kill);
          assert.equal(run.signal, 'SIGKILL', `${label}: child ended by itself (code ${run.code}): ${run.stderr}`);
          totals.kills++;
          if (!run.opened) totals.killedBeforeOpen++;
          acked = Math.max(acked, run.acked);

          const first = await openVerifyClose(dir, seed, acked, label);
          const second = await openAndClose(dir);
          assert.equal(second.recovered, undefined, `${label}: the second open has nothing to cut`);
          assert.equal(second.records.length, first.records.length, `${label}: both opens agree`);
          second.records.forEach((rec, i) => assert.ok(sameBytes(rec, first.records[i]!), `${label}: both opens agree on ${i}`));
          totals.verified += first.records.length;
          totals.acked += Math.max(0, run.acked - durableBefore);
          totals.pastAck += first.records.length - acked;
          if (first.recovered) {
            totals.tailsCut++;
            totals.bytesCut += first.recovered.truncatedBytes;
          }
          acked = first.records.length; // the next child continues from what is now durable
        }
        // Appending after recovery works, and the result loads whole.
        const store = new FileLogStore(dir, { maxSegmentBytes: segmentBytes });
        const { records } = await store.open();
        await store.append([patternRecord(seed, records.length), patternRecord(seed, records.length + 1)]);
        await store.close();
        await openVerifyClose(dir, seed, records.length + 2, `seed ${seed} final`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    console.log(
      `      ${totals.kills} kills (${totals.killedBeforeOpen} before open finished), ` +
        `${totals.verified} records verified after kills (${totals.acked} newly acknowledged, ${totals.pastAck} durable past the last ack), ` +
        `${totals.tailsCut} torn tails cut (${totals.bytesCut} bytes)`,
    );
  });
});
