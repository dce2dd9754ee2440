/**
 * Two teammates in NAT homes and a broker in the public namespace (netns.ts), for the NAT
 * peer tests: a suite's topology and broker, a share started in both homes with headless
 * `weft peer run`, waiting until `weft peer status` says they are connected a given way,
 * and editing on both sides until both folders converge.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WEFT, removeDir, tempDir } from '../broker-helpers.js';
import { PeerProc, append, folders, killPeers, makeShare, peerCli, waitConverged, waitUntil } from '../peer-procs.js';
import { NatTopology, type NatTopologyInit } from '../../../tools/netns/netns.js';
import type { NetnsProcess } from '../../../tools/netns/netns-process.js';
import { skipWithoutNat } from './nat-skip.js';

const exec = promisify(execFile);
export const START_MS = 30_000;
export const CONVERGE_MS = 60_000;

export type How = 'direct' | 'relayed';

/** A topology with a broker in its public namespace, for one describe block. */
export type NatSuite = ReturnType<typeof natSuite>;

export function natSuite(name: string, init: NatTopologyInit): { topology: () => NatTopology; broker: () => NetnsProcess; brokerAddr: () => string; brokerKey: () => string; brokerData: () => string; root: () => string } {
  let topology: NatTopology | undefined;
  let broker: NetnsProcess | undefined;
  let root = '';
  let brokerAddr = '';
  let brokerKey = '';
  let brokerData = '';
  before(async function () {
    await skipWithoutNat(this);
    topology = await NatTopology.create(init);
    root = tempDir(name);
    brokerData = join(root, 'broker');
    broker = topology.spawn(topology.publicHost, process.execPath, [WEFT, 'broker', '--data', brokerData, '--listen', `/ip4/${topology.publicHost.address}/tcp/4001`]);
    brokerAddr = await broker.waitForLine((line) => /^listening (\S+)$/.exec(line)?.[1], START_MS, 'the broker listening');
    brokerKey = (JSON.parse(readFileSync(join(brokerData, 'broker.json'), 'utf8')) as { peerKey: string }).peerKey;
  });
  after(async () => {
    killPeers();
    await topology?.destroy();
    if (root) removeDir(root);
  });
  return { topology: () => topology!, broker: () => broker!, brokerAddr: () => brokerAddr, brokerKey: () => brokerKey, brokerData: () => brokerData, root: () => root };
}

export interface Pair {
  readonly alice: string;
  readonly bob: string;
  readonly a: PeerProc;
  readonly b: PeerProc;
  /** When the peers started (Date.now()). */
  readonly t0: number;
}

/** A new share in ROOT/<tag>-alice with Bob joining, both running in their homes (args added to `weft peer run`). */
export async function startPair(s: NatSuite, tag: string, args: string[] = []): Promise<Pair> {
  const [alice, bob] = folders(s.root(), [`${tag}-alice`, `${tag}-bob`]) as [string, string];
  writeFileSync(join(alice, 'notes.md'), 'hello\n');
  await makeShare(alice, [bob], ['--broker', s.brokerAddr()]);
  const run = (home: 'homeA' | 'homeB', dir: string, name: string): Promise<PeerProc> =>
    // WEFT_TRACE: each commit's arrival is logged with the role of the link it came on.
    PeerProc.run(dir, ['--listen', '/ip4/0.0.0.0/tcp/0', '--name', name, ...args], { WEFT_TRACE: '1', ...(process.env.WEFT_TEST_PEER_DEBUG ? { DEBUG: process.env.WEFT_TEST_PEER_DEBUG } : {}) }, ['ip', 'netns', 'exec', s.topology()[home].netns], START_MS);
  const t0 = Date.now();
  const a = await run('homeA', alice, 'Alice');
  const b = await run('homeB', bob, 'Bob');
  return { alice, bob, a, b, t0 };
}

/** Waits until each side's `weft peer status` shows the other connected `how`; returns both outputs. */
export async function waitConnected(p: Pair, how: How, brokerKey: string): Promise<[string, string]> {
  const want = how === 'direct' ? ': direct' : `: relayed through broker ${brokerKey}`;
  let last: [string, string] = ['', ''];
  await waitUntil(
    async () => {
      last = [await peerCli('status', '--dir', p.alice), await peerCli('status', '--dir', p.bob)];
      return last[0].includes(`teammate:  Bob (`) && last[0].includes(want) && last[1].includes(`teammate:  Alice (`) && last[1].includes(want);
    },
    CONVERGE_MS,
    () => `not ${how}:\n--- alice ---\n${last[0]}\n--- bob ---\n${last[1]}\n--- logs ---\n${p.a.out.slice(-4000)}\n${p.b.out.slice(-4000)}`,
    250,
  );
  return last;
}

/** Both edit; waits until both folders hold both edits, and checks each got the other's commit on the teammate's link. */
export async function editAndConverge(p: Pair, tag: string): Promise<void> {
  const before = [p.a.out.length, p.b.out.length];
  append(p.alice, 'notes.md', `from alice ${tag}\n`);
  append(p.bob, 'notes.md', `from bob ${tag}\n`);
  await waitConverged([p.alice, p.bob], CONVERGE_MS, (f) => (f.get('notes.md') ?? '').includes(`from alice ${tag}`) && (f.get('notes.md') ?? '').includes(`from bob ${tag}`), [p.a, p.b]);
  // The multicast flows peer-to-peer: each got the other's edit on the teammate's link
  // (perhaps from the broker too, whichever came first).
  [p.a, p.b].forEach((proc, i) => assert.match(proc.out.slice(before[i]), /^trace received-from-peer /m, `no commit arrived on the teammate's link:\n${proc.out.slice(-3000)}`));
}

export async function brokerRelayLine(brokerData: string): Promise<RegExpExecArray> {
  const { stdout } = await exec(process.execPath, [WEFT, 'broker', 'status', '--data', brokerData]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const line = /relay: +(\d+) slot\(s\) held, (\d+) relayed connection\(s\) open, (\d+) peer\(s\) admitted, (\d+) reservation\(s\) refused/.exec(stdout);
  assert.ok(line, `no relay line in:\n${stdout}`);
  return line;
}

export function logs(p: Pair): void {
  if (process.env.WEFT_TEST_NAT_LOGS === '1') console.log(`--- alice ---\n${p.a.out}\n--- bob ---\n${p.b.out}`);
}
