/**
 * `npm run bench -- nat` (issue 19): two teammates behind different NATs, in network
 * namespaces (tools/netns/netns.ts: a public namespace with a `weft broker`, two homes each
 * behind its own MASQUERADE router), running headless `weft peer run` with WEFT_TRACE.
 *  - nat.direct_after_ms: from the second teammate's start (its process spawned, joining)
 *    to the direct connection between them (WebRTC through both NATs, signalled through the
 *    broker's relay). Median of the runs. Goal: < 5 s.
 *  - nat.latency_direct_p99_ms / nat.latency_relayed_p99_ms: one edit's one-way delivery,
 *    from the writer's runtime sending the commit to the teammate receiving it on their
 *    connection (direct; or through the relay with --no-webrtc), both clocks being this
 *    machine's. Edits one at a time, 50 per run after 3 unmeasured; p99 of all runs'
 *    samples. The links add no delay (this kernel has no netem qdisc): the figures are the
 *    software path, NAT included. Goal: direct p99 below relayed p99.
 *  - nat.broker_relayed_connections_after_direct: relayed connections open through the
 *    broker after the edits ran on a direct connection (weft broker status). Goal 0.
 *    The issue asks for the bytes the broker carries between the two once direct; the relay
 *    has no byte counter yet, so this counts the connections that could carry any.
 * Needs root, iproute2 and iptables; otherwise it prints why and records nothing.
 * WEFT_NAT_RUNS (default 3) sets the runs per mode.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NatTopology, natUnavailable, type Home } from '../tools/netns/netns.js';
import type { NetnsProcess } from '../tools/netns/netns-process.js';
import { WEFT, makeShare, memberIdentity } from '../tools/peers/peer-cli.js';
import { median, record } from './report.js';

const exec = promisify(execFile);
const RUNS = Number(process.env.WEFT_NAT_RUNS ?? 3);
const WARMUP = 3;
const SAMPLES = 50;
const START_MS = 30_000;
const CONNECT_MS = 60_000;
const EDIT_MS = 30_000;

type Mode = 'direct' | 'relayed';

interface PairRun {
  /** From the second peer's spawn to the first "connected to teammate" line of the wanted kind. */
  connectedMs: number;
  /** One-way delivery of each measured edit, ms. */
  latencies: number[];
  /** Relayed connections open through the broker after the edits. */
  circuits: number;
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** The relayed connections the broker counts, from a status it wrote after `since` (ms; it rewrites it every 2 s). */
async function brokerCircuits(dataDir: string, since: number): Promise<number> {
  for (;;) {
    const { stdout } = await exec(process.execPath, [WEFT, 'broker', 'status', '--data', dataDir]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const at = Date.parse(/^as of: +(\S+)/m.exec(stdout)?.[1] ?? '');
    const m = /relay: +\d+ slot\(s\) held, (\d+) relayed connection\(s\) open/.exec(stdout);
    if (m && at > since) return Number(m[1]);
    if (Date.now() - since > 10_000) throw new Error(`no broker status with a relay line since the edits:\n${stdout}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits for a stdout line of `proc` matching `pattern` that `fresh` accepts; returns the match. */
function line(proc: NetnsProcess, pattern: RegExp, fresh: (m: RegExpExecArray) => boolean, ms: number, what: string): Promise<RegExpExecArray> {
  return proc.waitForLine((l) => {
    const m = pattern.exec(l);
    return m && fresh(m) ? m : undefined;
  }, ms, what);
}

async function pairRun(mode: Mode): Promise<PairRun> {
  const topology = await NatTopology.create();
  const root = mkdtempSync(join(tmpdir(), 'weft-bench-nat-'));
  try {
    const brokerData = join(root, 'broker');
    const broker = topology.spawn(topology.publicHost, process.execPath, [WEFT, 'broker', '--data', brokerData, '--listen', `/ip4/${topology.publicHost.address}/tcp/4001`]);
    const brokerAddr = await broker.waitForLine((l) => /^listening (\S+)$/.exec(l)?.[1], START_MS, 'the broker listening');
    const [alice, bob] = ['alice', 'bob'].map((n) => join(root, n)) as [string, string];
    for (const d of [alice, bob]) mkdirSync(d);
    writeFileSync(join(alice, 'notes.md'), 'hello\n');
    await makeShare(alice, [bob], ['--broker', brokerAddr]);
    const run = (home: Home, dir: string, name: string): NetnsProcess =>
      topology.spawn(home, process.execPath, [WEFT, 'peer', 'run', '--dir', dir, '--listen', '/ip4/0.0.0.0/tcp/0', '--name', name, ...(mode === 'relayed' ? ['--no-webrtc'] : [])], { WEFT_IDENTITY: memberIdentity(dir), WEFT_TRACE: '1' });
    const a = run(topology.homeA, alice, 'Alice');
    await a.waitForLine((l) => (l.startsWith('mirroring') ? true : undefined), START_MS, 'Alice mirroring');
    const t0 = Date.now();
    const b = run(topology.homeB, bob, 'Bob');
    // The side with the smaller key dials and logs the connection: wait for either.
    const connected = new RegExp(`^connected to teammate \\S+ \\(${mode === 'direct' ? 'direct' : 'relayed through broker'}`);
    await Promise.any([a, b].map((p) => line(p, connected, () => true, CONNECT_MS, `a ${mode} connection`)));
    const connectedMs = Date.now() - t0;
    // Edits one at a time: Alice's runtime sends the commit, Bob receives it on the teammate link.
    const seen = new Set<string>();
    const latencies: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      appendFileSync(join(alice, 'notes.md'), `edit ${i}\n`);
      const sent = await line(a, /^trace sent (\S+) (\d+)$/, (m) => !seen.has(m[1]!), EDIT_MS, `Alice sending edit ${i}`);
      seen.add(sent[1]!);
      const got = await line(b, new RegExp(`^trace received-from-peer ${sent[1]} (\\d+)$`), () => true, EDIT_MS, `Bob receiving edit ${i} from Alice`);
      if (i >= WARMUP) latencies.push(Number(got[1]) - Number(sent[2]));
    }
    const circuits = await brokerCircuits(brokerData, Date.now());
    return { connectedMs, latencies, circuits };
  } finally {
    await topology.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const why = await natUnavailable();
  if (why !== undefined) {
    console.log(`  skipped: ${why}`);
    return;
  }
  console.log(`  two homes behind MASQUERADE NATs, a broker in the public namespace; ${RUNS} run(s) per mode, ${SAMPLES} edits each after ${WARMUP} unmeasured`);
  console.log('  no delay added to the links (this kernel has no netem qdisc): latencies are the software path, NAT included');
  const runs: Record<Mode, PairRun[]> = { direct: [], relayed: [] };
  for (const mode of ['direct', 'relayed'] as const) {
    for (let i = 0; i < RUNS; i++) {
      const r = await pairRun(mode);
      runs[mode].push(r);
      console.log(`  ${mode} run ${i + 1}: connected after ${r.connectedMs} ms; delivery p50 ${pct(r.latencies, 50)} ms, max ${Math.max(...r.latencies)} ms; relayed connections open after: ${r.circuits}`);
    }
  }
  const all = (mode: Mode): number[] => runs[mode].flatMap((r) => r.latencies);
  const input = 'two NAT homes, netns, no added delay';
  record({ figure: 'nat.direct_after_ms', weft: median(runs.direct.map((r) => r.connectedMs)), unit: 'ms', runs: RUNS, input, note: 'from the second teammate joining to WebRTC through both NATs; goal < 5000' });
  record({ figure: 'nat.latency_direct_p99_ms', weft: pct(all('direct'), 99), unit: 'ms', input, note: `p99 of ${all('direct').length} edits over ${RUNS} runs, one-way, commit sent to received on the direct link; p50 ${pct(all('direct'), 50)} ms` });
  record({ figure: 'nat.latency_relayed_p99_ms', weft: pct(all('relayed'), 99), unit: 'ms', input, note: `p99 of ${all('relayed').length} edits over ${RUNS} runs, one-way, through the broker's relay (--no-webrtc); p50 ${pct(all('relayed'), 50)} ms` });
  record({ figure: 'nat.broker_relayed_connections_after_direct', weft: Math.max(...runs.direct.map((r) => r.circuits)), unit: 'connections', runs: RUNS, input, note: 'relayed connections open through the broker after editing on a direct connection (bytes are not counted yet); goal 0' });
  const direct = pct(all('direct'), 99);
  const relayed = pct(all('relayed'), 99);
  console.log(`  goals: direct within 5 s ${median(runs.direct.map((r) => r.connectedMs)) < 5000 ? 'MET' : 'NOT MET'}; direct p99 below relayed p99 ${direct < relayed ? 'MET' : 'NOT MET'} (${direct} vs ${relayed} ms); no relayed connection once direct ${runs.direct.every((r) => r.circuits === 0) ? 'MET' : 'NOT MET'}`);
}
