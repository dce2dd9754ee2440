/**
 * Two teammates behind different NATs (issue 19, step 2): Alice and Bob run headless
 * `weft peer run`, each in a home namespace behind its own NAT router (netns.ts), and a
 * `weft broker` runs in the public namespace. Neither home can be dialled from outside,
 * so each peer reserves a slot on the broker's relay (after a RELAYREQ: the broker relays
 * only for members of topics it carries), puts its relayed address in its signed
 * presence, and the peer with the smaller key dials the other through the relay. They
 * share a folder, edit on both sides and converge; `weft peer status` on each says the
 * teammate is relayed through the broker, and `weft broker status` counts the two slots.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEFT, removeDir, tempDir } from '../broker-helpers.js';
import { PeerProc, append, folders, killPeers, makeShare, peerCli, waitConverged, waitUntil } from '../peer-procs.js';
import { NatTopology, skipWithoutNat } from './netns.js';
import type { NetnsProcess } from './netns-process.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const START_MS = 30_000;
const CONVERGE_MS = 60_000;

describe('net/nat peers: two teammates behind different NATs co-edit through a broker\'s relay (issue 19)', function () {
  this.timeout(180_000);
  let topology: NatTopology | undefined;
  let root = '';
  let broker: NetnsProcess;
  let brokerAddr = '';
  let brokerKey = '';
  let brokerData = '';
  let alice = '';
  let bob = '';
  const procs: PeerProc[] = [];

  before(async function () {
    await skipWithoutNat(this);
    topology = await NatTopology.create();
    root = tempDir('nat-peers');
    brokerData = join(root, 'broker');
    broker = topology.spawn(topology.publicHost, process.execPath, [WEFT, 'broker', '--data', brokerData, '--listen', `/ip4/${topology.publicHost.address}/tcp/4001`]);
    brokerAddr = await broker.waitForLine((line) => /^listening (\S+)$/.exec(line)?.[1], START_MS, 'the broker listening');
    brokerKey = (JSON.parse(readFileSync(join(brokerData, 'broker.json'), 'utf8')) as { peerKey: string }).peerKey;
    [alice, bob] = folders(root, ['alice', 'bob']) as [string, string];
    writeFileSync(join(alice, 'notes.md'), 'hello\n');
    await makeShare(alice, [bob], ['--broker', brokerAddr]);
  });

  after(async () => {
    killPeers();
    await topology?.destroy();
    if (root) removeDir(root);
  });

  async function runIn(home: 'homeA' | 'homeB', dir: string, name: string): Promise<PeerProc> {
    // WEFT_TRACE: each commit's arrival is logged with the role of the link it came on.
    const p = await PeerProc.run(dir, ['--listen', '/ip4/0.0.0.0/tcp/0', '--name', name], { WEFT_TRACE: '1' }, ['ip', 'netns', 'exec', topology![home].netns], START_MS);
    procs.push(p);
    return p;
  }

  async function status(dir: string): Promise<string> {
    return peerCli('status', '--dir', dir);
  }

  it('each reserves a relay slot, they connect through the broker, edit on both sides and converge', async () => {
    const t0 = Date.now();
    const a = await runIn('homeA', alice, 'Alice');
    const b = await runIn('homeB', bob, 'Bob');
    await waitConverged([alice, bob], CONVERGE_MS, (f) => f.get('notes.md') === 'hello\n', [a, b]);
    const joined = Date.now() - t0;

    // Each sees the other as relayed through the broker (the homes cannot dial each other).
    let last = ['', ''];
    await waitUntil(
      async () => {
        last = [await status(alice), await status(bob)];
        return last[0]!.includes(`Bob`) && last[0]!.includes(`relayed through broker ${brokerKey}`) && last[1]!.includes(`relayed through broker ${brokerKey}`);
      },
      CONVERGE_MS,
      () => `not relayed:\n--- alice ---\n${last[0]}\n--- bob ---\n${last[1]}\n--- logs ---\n${a.out.slice(-3000)}\n${b.out.slice(-3000)}`,
      250,
    );
    const connected = Date.now() - t0;
    for (const s of last) assert.match(s!, /address: +\S+\/p2p-circuit\/p2p\//, `the peer lists its relayed address:\n${s}\n--- logs ---\n${a.out}\n${b.out}`);
    assert.match(last[0]!, /teammate: +Bob \(weft1\S+\): relayed through broker/);
    assert.match(last[1]!, /teammate: +Alice \(weft1\S+\): relayed through broker/);
    const dialler = [a, b].find((p) => /connected to teammate \S+ \(relayed through broker/.test(p.out));
    assert.ok(dialler, 'one of them dialled the other through the relay');

    append(alice, 'notes.md', 'from alice\n');
    append(bob, 'notes.md', 'from bob\n');
    const files = await waitConverged([alice, bob], CONVERGE_MS, (f) => (f.get('notes.md') ?? '').includes('from alice') && (f.get('notes.md') ?? '').includes('from bob'), [a, b]);
    assert.equal(files.get('notes.md')!.split('\n').length, 4);
    // The multicast flows peer-to-peer over the relayed connection: each got the other's
    // edit from the teammate's link (and perhaps from the broker too, whichever came first).
    for (const p of [a, b]) assert.match(p.out, /^trace received-from-peer /m, `no commit arrived from the teammate's link:\n${p.out.slice(-3000)}`);

    const { stdout: brokerStatus } = await exec(process.execPath, [WEFT, 'broker', 'status', '--data', brokerData]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const relayLine = /relay: +(\d+) slot\(s\) held, (\d+) peer\(s\) admitted, (\d+) reservation\(s\) refused/.exec(brokerStatus);
    assert.ok(relayLine, `no relay line in:\n${brokerStatus}`);
    assert.equal(relayLine[1], '2', 'both peers hold a slot');
    assert.equal(relayLine[3], '0', 'nobody was refused');
    console.log(`      converged ${joined} ms after start; connected through the relay after ${connected} ms; ${relayLine[0]}`);
  });
});
