/**
 * Two teammates behind different NATs (issue 19): Alice and Bob run headless `weft peer
 * run`, each in a home namespace behind its own NAT router (netns.ts), and a `weft broker`
 * runs in the public namespace. Neither home can be dialled from outside, so each peer
 * reserves a slot on the broker's relay (after a RELAYREQ: the broker relays only for
 * members of topics it carries), puts its addresses, relayed ones included, in its signed
 * presence, and the peer with the smaller key dials the other:
 * - by WebRTC, signalled through the relay, with the broker answering STUN: a direct UDP
 *   path through both NATs, over which they keep co-editing when the broker stops;
 * - without WebRTC (--no-webrtc), behind NATs that give every flow a random port (no
 *   hole can be punched), or when one NAT drops all UDP, through the relay itself (TCP).
 * `weft peer status` on each side says how the teammate is connected, and `weft broker
 * status` counts the relay slots. Every test checks that the edits travel peer-to-peer
 * (WEFT_TRACE: commits arrive on the teammate's link), not only through the broker.
 * WEFT_TEST_NAT_LOGS=1 prints the peers' logs; WEFT_TEST_PEER_DEBUG=... sets their DEBUG.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WEFT, removeDir, tempDir } from '../broker-helpers.js';
import { PeerProc, append, folders, killPeers, makeShare, peerCli, waitConverged, waitUntil } from '../peer-procs.js';
import { NatTopology, skipWithoutNat, type NatTopologyInit } from './netns.js';
import type { NetnsProcess } from './netns-process.js';

const exec = promisify(execFile);
const START_MS = 30_000;
const CONVERGE_MS = 60_000;

type How = 'direct' | 'relayed';

/** A topology with a broker in its public namespace, for one describe block. */
function natSuite(name: string, init: NatTopologyInit): { topology: () => NatTopology; broker: () => NetnsProcess; brokerAddr: () => string; brokerKey: () => string; brokerData: () => string; root: () => string } {
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

interface Pair {
  readonly alice: string;
  readonly bob: string;
  readonly a: PeerProc;
  readonly b: PeerProc;
  /** When the peers started (Date.now()). */
  readonly t0: number;
}

/** A new share in ROOT/<tag>-alice with Bob joining, both running in their homes (args added to `weft peer run`). */
async function startPair(s: ReturnType<typeof natSuite>, tag: string, args: string[] = []): Promise<Pair> {
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
async function waitConnected(p: Pair, how: How, brokerKey: string): Promise<[string, string]> {
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
async function editAndConverge(p: Pair, tag: string): Promise<void> {
  const before = [p.a.out.length, p.b.out.length];
  append(p.alice, 'notes.md', `from alice ${tag}\n`);
  append(p.bob, 'notes.md', `from bob ${tag}\n`);
  await waitConverged([p.alice, p.bob], CONVERGE_MS, (f) => (f.get('notes.md') ?? '').includes(`from alice ${tag}`) && (f.get('notes.md') ?? '').includes(`from bob ${tag}`), [p.a, p.b]);
  // The multicast flows peer-to-peer: each got the other's edit on the teammate's link
  // (perhaps from the broker too, whichever came first).
  [p.a, p.b].forEach((proc, i) => assert.match(proc.out.slice(before[i]), /^trace received-from-peer /m, `no commit arrived on the teammate's link:\n${proc.out.slice(-3000)}`));
}

async function brokerRelayLine(brokerData: string): Promise<RegExpExecArray> {
  const { stdout } = await exec(process.execPath, [WEFT, 'broker', 'status', '--data', brokerData]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const line = /relay: +(\d+) slot\(s\) held, (\d+) relayed connection\(s\) open, (\d+) peer\(s\) admitted, (\d+) reservation\(s\) refused/.exec(stdout);
  assert.ok(line, `no relay line in:\n${stdout}`);
  return line;
}

function logs(p: Pair): void {
  if (process.env.WEFT_TEST_NAT_LOGS === '1') console.log(`--- alice ---\n${p.a.out}\n--- bob ---\n${p.b.out}`);
}

describe('net/nat peers: two teammates behind different NATs co-edit through a broker (issue 19)', function () {
  this.timeout(240_000);
  const s = natSuite('nat-peers', {});

  it('without WebRTC: each reserves a relay slot, they connect through the relay, edit on both sides and converge', async () => {
    const p = await startPair(s, 'relay', ['--no-webrtc']);
    const status = await waitConnected(p, 'relayed', s.brokerKey());
    const connected = Date.now() - p.t0;
    for (const out of status) assert.match(out, /address: +\S+\/p2p-circuit\/p2p\//, `the peer lists its relayed address:\n${out}`);
    assert.ok([p.a, p.b].some((proc) => /connected to teammate \S+ \(relayed through broker/.test(proc.out)), 'one of them dialled the other through the relay');
    await editAndConverge(p, 'relayed');
    // status.json is rewritten every 2 s: wait for the one written since they connected.
    let relay = await brokerRelayLine(s.brokerData());
    await waitUntil(async () => (relay = await brokerRelayLine(s.brokerData()))[2] !== '0', 10_000, () => `no relayed connection counted: ${relay[0]}`, 250);
    assert.equal(relay[1], '2', 'both peers hold a slot');
    assert.equal(relay[4], '0', 'nobody was refused');
    logs(p);
    await Promise.all([p.a.stop(), p.b.stop()]);
    console.log(`      connected through the relay ${connected} ms after start; ${relay[0]}`);
  });

  it('with WebRTC (signalled through the relay, STUN at the broker): a direct connection, which outlives the broker', async () => {
    const p = await startPair(s, 'webrtc');
    const status = await waitConnected(p, 'direct', s.brokerKey());
    const connected = Date.now() - p.t0;
    for (const out of status) assert.match(out, /address: +\S+\/p2p-circuit\/webrtc\/p2p\//, `the peer lists its WebRTC address:\n${out}`);
    for (const out of status) assert.match(out, /teammate: +\S+ \(weft1\S+\): direct \(WebRTC through the NATs\)$/m, `the status says the connection is WebRTC:\n${out}`);
    assert.ok([p.a, p.b].some((proc) => /connected to teammate \S+ \(direct, WebRTC\)/.test(proc.out)), 'one of them dialled the other by WebRTC');
    await editAndConverge(p, 'direct');
    // Once direct, the broker carries nothing between them: no relayed connection is open
    // through it (the one that carried the WebRTC offer closes), only each peer's own.
    let relay = await brokerRelayLine(s.brokerData());
    await waitUntil(async () => (relay = await brokerRelayLine(s.brokerData()))[2] === '0' && relay[1] === '2', 15_000, () => `relayed connections still open: ${relay[0]}`, 250);
    await editAndConverge(p, 'direct, with no relayed connection');
    assert.equal((await brokerRelayLine(s.brokerData()))[2], '0', 'editing opened no relayed connection');
    // The broker stops; the teammates keep co-editing over their own connection.
    await s.broker().kill();
    await editAndConverge(p, 'after the broker');
    logs(p);
    console.log(`      direct (WebRTC through both NATs) ${connected} ms after start; co-editing went on after the broker stopped`);
  });
});

describe('net/nat peers: behind NATs that give every flow a random port, teammates stay relayed (issue 19)', function () {
  this.timeout(240_000);
  const s = natSuite('nat-peers-random', { homeA: { randomPorts: true }, homeB: { randomPorts: true } });

  it('WebRTC cannot punch through; they connect through the relay and converge', async () => {
    const p = await startPair(s, 'random');
    await waitConnected(p, 'relayed', s.brokerKey());
    const connected = Date.now() - p.t0;
    assert.ok([p.a, p.b].some((proc) => /no WebRTC connection to the teammate/.test(proc.out)), 'WebRTC was tried first');
    await editAndConverge(p, 'random ports');
    logs(p);
    console.log(`      relayed ${connected} ms after start (WebRTC tried and failed first)`);
  });
});

describe('net/nat peers: one home\'s NAT drops all UDP: teammates use the TCP path, through the relay (issue 19)', function () {
  this.timeout(240_000);
  const s = natSuite('nat-peers-no-udp', { homeA: { dropUdp: true } });

  it('WebRTC gets nowhere; they connect through the relay over TCP and converge', async () => {
    const p = await startPair(s, 'noudp');
    await waitConnected(p, 'relayed', s.brokerKey());
    const connected = Date.now() - p.t0;
    await editAndConverge(p, 'no udp');
    logs(p);
    console.log(`      relayed over TCP ${connected} ms after start`);
  });
});
