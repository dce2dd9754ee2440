/**
 * `weft peer` processes with `weft broker` processes, all on loopback:
 *  - three peers that know only two brokers (one joined the overlay through the other) co-edit concurrently;
 *  - a peer offline while the others edit catches up from a broker alone.
 * Frame loss (events, acks, wants dropped) is the simulator's: every seed of
 * test/protocol/sim/scenarios.test.ts runs members that drop 10% of their data frames,
 * without the fixed sleeps a process test needs.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, removeDir, startBroker, tempDir, type BrokerProcess } from './broker-helpers.js';
import { append, folders, killPeers, makeShare, prepend, PeerProc, waitConverged } from './peer-procs.js';

describe('net/peer with brokers (separate processes)', function () {
  this.timeout(90_000);
  const dirs: string[] = [];
  let brokers: BrokerProcess[] = [];
  after(() => {
    killPeers();
    killAll();
    for (const d of dirs) removeDir(d);
  });

  before(async () => {
    const root = tempDir('peer-brokers');
    dirs.push(root);
    // The second joins the overlay through the first: the share both carry crosses along its ring of two.
    const b1 = await startBroker(join(root, 'broker1'), ['--gossip-ms', '500']);
    const b2 = await startBroker(join(root, 'broker2'), ['--bootstrap', b1.tcp, '--gossip-ms', '500']);
    brokers = [b1, b2];
  });

  it('three peers and two brokers: concurrent edits converge; a returning peer catches up from a broker alone', async () => {
    const root = tempDir('peer-three');
    dirs.push(root);
    const [a, b, c] = folders(root, ['a', 'b', 'c']) as [string, string, string];
    writeFileSync(join(a, 'doc.md'), 'start\n');
    // a uses both brokers; b only the first, c only the second: events cross the share's ring of brokers.
    await makeShare(a, [b, c], ['--broker', brokers[0]!.tcp, '--broker', brokers[1]!.tcp]);
    const pa = await PeerProc.run(a);
    const pb = await PeerProc.run(b);
    const pc = await PeerProc.run(c);
    await waitConverged([a, b, c], 30_000, (f) => f.has('doc.md'), [pa, pb, pc]);
    for (let i = 0; i < 6; i++) {
      append(a, 'doc.md', `a${i}\n`);
      prepend(b, 'doc.md', `b${i}\n`);
      writeFileSync(join(c, `c${i}.txt`), `c ${i}\n`);
      await new Promise((r) => setTimeout(r, 80));
    }
    await waitConverged(
      [a, b, c],
      30_000,
      (f) => (f.get('doc.md') ?? '').includes('a5') && (f.get('doc.md') ?? '').includes('b5') && f.has('c5.txt'),
      [pa, pb, pc],
    );

    // c goes offline; a and b edit; then a and b leave too and c returns alone.
    assert.equal(await pc.stop(), 0);
    append(a, 'doc.md', 'while c was away (a)\n');
    append(b, 'b-only.txt', 'while c was away (b)\n');
    await waitConverged([a, b], 20_000, (f) => (f.get('doc.md') ?? '').includes('(a)') && f.has('b-only.txt'), [pa, pb]);
    await new Promise((r) => setTimeout(r, 500)); // let the brokers ack and forward to each other
    assert.equal(await pa.stop(), 0);
    assert.equal(await pb.stop(), 0);
    const back = await PeerProc.run(c);
    await waitConverged([a, c], 20_000, (f) => (f.get('doc.md') ?? '').includes('(a)') && f.has('b-only.txt'), [back]);
    assert.equal(await back.stop(), 0);
  });
});
