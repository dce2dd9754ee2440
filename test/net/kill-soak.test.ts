/**
 * kill -9 soak (issue 14, finding 4): three writers append lines (900 in all) while their
 * `weft peer run` processes and the two `weft broker` processes they use are killed with
 * SIGKILL at random (seeded) times and restarted. A writer keeps appending while its
 * peer is down (edits made while stopped merge on restart). At the end every line is on
 * every disk exactly once, in its writer's order, and the folders are identical.
 *
 * Each writer appends to a file of its own (w-a.txt, w-b.txt, w-c.txt), shared with
 * everyone: every line reaches the other two disks through a merge and a write-out, the
 * window a crash hits. (Appending to one file that the mirror may replace at the same
 * instant races with the rename itself, for any tool that writes files; that is not
 * what this test is about.)
 *
 * One short run in the suite. Longer: WEFT_SOAK_RUNS=10 (runs, seeds SEED, SEED+1, ...),
 * WEFT_SOAK_SEED=N, WEFT_SOAK_LINES=900, WEFT_SOAK_LINE_MS=60 (mean gap between lines).
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../../protocol/sim/prng.js';
import { killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';
import { folders, freePort, killPeers, makeShare, PeerProc, readTextFiles, waitConverged } from './peer-procs.js';

const RUNS = Number(process.env.WEFT_SOAK_RUNS ?? 1);
const SEED = Number(process.env.WEFT_SOAK_SEED ?? 1);
const LINES = Number(process.env.WEFT_SOAK_LINES ?? 900);
const LINE_MS = Number(process.env.WEFT_SOAK_LINE_MS ?? 60);
const WRITERS = ['a', 'b', 'c'] as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A broker that can be killed and started again at the same addresses (fixed ports, same data folder). */
class RestartableBroker {
  proc: BrokerProcess | undefined;
  constructor(
    private readonly dir: string,
    private readonly args: string[],
  ) {}

  async start(): Promise<BrokerProcess> {
    this.proc = await startBroker(this.dir, this.args);
    return this.proc;
  }

  get up(): boolean {
    return this.proc !== undefined;
  }

  async kill(): Promise<void> {
    const p = this.proc!;
    this.proc = undefined;
    await p.kill('SIGKILL');
  }
}

async function listenArgs(): Promise<string[]> {
  return ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}/ws`];
}

interface SoakResult {
  seed: number;
  linesWritten: number;
  /** Per folder: lines of the writers' files found, and how many of the written lines are there exactly once in order. */
  onDisk: Array<{ member: string; lines: number; exactlyOnce: number }>;
  kills: { peers: number; brokers: number };
  seconds: number;
}

async function soak(seed: number): Promise<SoakResult> {
  const started = Date.now();
  const rnd = prng(seed);
  const root = tempDir(`soak-${seed}`);
  const procs = new Map<string, PeerProc | undefined>();
  try {
    const b1 = new RestartableBroker(join(root, 'broker1'), [...(await listenArgs()), '--gossip-ms', '500']);
    const first = await b1.start();
    const b2 = new RestartableBroker(join(root, 'broker2'), [...(await listenArgs()), '--bootstrap', first.tcp, '--gossip-ms', '500']);
    const second = await b2.start();
    const dirs = folders(root, [...WRITERS]);
    const dirOf = new Map<string, string>(WRITERS.map((w, i) => [w, dirs[i]!]));
    appendFileSync(join(dirOf.get('a')!, 'readme.md'), 'soak\n');
    await makeShare(dirOf.get('a')!, dirs.slice(1), ['--broker', first.tcp, '--broker', second.tcp]);
    for (const w of WRITERS) procs.set(w, await PeerProc.run(dirOf.get(w)!));
    const running = (): PeerProc[] => [...procs.values()].filter((p): p is PeerProc => p !== undefined);
    await waitConverged(dirs, 60_000, (f) => f.has('readme.md'), running());

    // Chaos: every 1 to 4 s, a random process that is up is killed and started again 0.2 to 1.5 s later.
    const kills = { peers: 0, brokers: 0 };
    let writing = true;
    const restarts: Array<Promise<unknown>> = [];
    const chaos = (async () => {
      while (writing) {
        await sleep(1000 + rnd() * 3000);
        if (!writing) break;
        const victims: Array<string> = [...WRITERS.filter((w) => procs.get(w) !== undefined), ...(b1.up ? ['broker1'] : []), ...(b2.up ? ['broker2'] : [])];
        const victim = victims[Math.floor(rnd() * victims.length)];
        if (victim === undefined) continue;
        const downFor = 200 + rnd() * 1300;
        if (victim.startsWith('broker')) {
          const b = victim === 'broker1' ? b1 : b2;
          await b.kill();
          kills.brokers++;
          restarts.push(sleep(downFor).then(() => b.start()));
        } else {
          const p = procs.get(victim)!;
          procs.set(victim, undefined);
          p.proc.kill('SIGKILL');
          await p.exited;
          kills.peers++;
          restarts.push(sleep(downFor).then(async () => procs.set(victim, await PeerProc.run(dirOf.get(victim)!, [], {}, [], 60_000))));
        }
      }
    })();

    // The writers: line i goes to writer i mod 3, after a random gap.
    const expected = new Map(WRITERS.map((w) => [w, [] as string[]]));
    for (let i = 0; i < LINES; i++) {
      const w = WRITERS[i % WRITERS.length]!;
      const line = `${w} line ${expected.get(w)!.length + 1} (seed ${seed})`;
      appendFileSync(join(dirOf.get(w)!, `w-${w}.txt`), `${line}\n`);
      expected.get(w)!.push(line);
      await sleep(rnd() * 2 * LINE_MS);
    }
    writing = false;
    await chaos;
    await Promise.all(restarts);

    const files = await waitConverged(
      dirs,
      180_000,
      (f) => WRITERS.every((w) => f.get(`w-${w}.txt`) === `${expected.get(w)!.join('\n')}\n`),
      running(),
    ).catch(async (err: unknown) => {
      for (const w of WRITERS) console.log(`      ${w}: ${describeDisk(await readTextFiles(dirOf.get(w)!), expected)}`);
      throw err;
    });
    const onDisk = [];
    for (const w of WRITERS) {
      const disk = await readTextFiles(dirOf.get(w)!);
      assert.deepEqual(disk, files, `${w}'s folder is the converged one`);
      onDisk.push({ member: w, ...countLines(disk, expected) });
    }
    for (const p of running()) assert.equal(await p.stop(), 0);
    return { seed, linesWritten: LINES, onDisk, kills, seconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    killPeers();
    killAll();
    removeDir(root);
  }
}

/** Lines of the writers' files on a disk, and how many expected lines are there exactly once. */
function countLines(disk: ReadonlyMap<string, string>, expected: ReadonlyMap<string, string[]>): { lines: number; exactlyOnce: number } {
  let lines = 0;
  let exactlyOnce = 0;
  for (const [w, want] of expected) {
    const got = (disk.get(`w-${w}.txt`) ?? '').split('\n').filter((l) => l !== '');
    lines += got.length;
    const counts = new Map<string, number>();
    for (const l of got) counts.set(l, (counts.get(l) ?? 0) + 1);
    exactlyOnce += want.filter((l) => counts.get(l) === 1).length;
  }
  return { lines, exactlyOnce };
}

function describeDisk(disk: ReadonlyMap<string, string>, expected: ReadonlyMap<string, string[]>): string {
  const { lines, exactlyOnce } = countLines(disk, expected);
  const missing = [...expected].flatMap(([w, want]) => want.filter((l) => !(disk.get(`w-${w}.txt`) ?? '').includes(`${l}\n`)));
  return `${lines} lines, ${exactlyOnce} written lines exactly once; missing: ${missing.slice(0, 5).join(' | ') || 'none'}`;
}

describe('net/kill -9 soak: writers append while peers and brokers are killed and restarted (issue 14)', function () {
  this.timeout(RUNS * 600_000);

  after(() => {
    killPeers();
    killAll();
  });

  it(`${RUNS} run(s) of ${LINES} lines by 3 writers: every line on every disk exactly once, folders identical`, async () => {
    const results: SoakResult[] = [];
    for (let r = 0; r < RUNS; r++) {
      const res = await soak(SEED + r);
      results.push(res);
      console.log(
        `      seed ${res.seed}: ${res.linesWritten} lines written; on disk ${res.onDisk.map((d) => `${d.member} ${d.lines} (${d.exactlyOnce} exactly once)`).join(', ')}; killed ${res.kills.peers} peers, ${res.kills.brokers} brokers; ${res.seconds} s`,
      );
    }
    for (const res of results) for (const d of res.onDisk) assert.deepEqual(d, { member: d.member, lines: res.linesWritten, exactlyOnce: res.linesWritten });
    assert.ok(results.every((r) => r.kills.peers + r.kills.brokers > 0), 'something was killed in every run');
  });
});
