/**
 * A crash between "merged" and "wrote" loses nothing (issue 14, finding 4), with real
 * `weft peer run` and `weft broker` processes. Bob's peer runs with the test hook
 * WEFT_TEST_CRASH_BEFORE_WRITE=log.txt (bin/peer-mirror.ts): it kills itself with SIGKILL
 * right before its mirror writes the share's text of log.txt, so it dies after merging
 * (and storing) Alice's commit and before writing that text. Bob appends a line of his own
 * while his peer is down. On restart (with Alice's peer stopped: the text can only come
 * from Bob's own log) Alice's line is written, Bob's line is shared, and no line is lost
 * or deleted on either disk.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { append, brokerSuite, folders, makeShare, PeerProc, waitConverged, waitUntil } from './peer-procs.js';

describe('net/crash between merge and write-out: the remote text is written on restart (issue 14)', function () {
  this.timeout(180_000);
  const suite = brokerSuite('crash-write');

  it('Bob dies after merging Alice\'s line and before writing it: on restart it is written, and his own offline line is shared', async () => {
    const [a, b] = folders(suite.root, ['alice', 'bob']) as [string, string];
    const start = 'line 1 (alice)\nline 2 (alice)\n';
    writeFileSync(join(a, 'log.txt'), start);
    await makeShare(a, [b], ['--broker', suite.broker.tcp]);
    let pa = await PeerProc.run(a);
    let pb = await PeerProc.run(b);
    await waitConverged([a, b], 60_000, (f) => f.get('log.txt') === start, [pa, pb]);
    assert.equal(await pb.stop(), 0);

    pb = await PeerProc.run(b, [], { WEFT_TEST_CRASH_BEFORE_WRITE: 'log.txt' });
    append(a, 'log.txt', 'line 3 (alice, while bob runs)\n');
    const code = await Promise.race([pb.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 60_000))]);
    assert.equal(code, null, `Bob's peer did not die at the hook:\n${pb.out}`);
    assert.equal(pb.proc.signalCode, 'SIGKILL');
    assert.match(pb.out, /^merged 1 commit$/m, 'it died after merging Alice\'s commit');
    assert.doesNotMatch(pb.out, /^wrote log\.txt$/m, 'and before writing it');
    assert.equal(readFileSync(join(b, 'log.txt'), 'utf8'), start, 'Alice\'s line is not on Bob\'s disk yet');

    // Bob writes while his peer is down; Alice's peer stops, so Bob's restart has only its own log.
    append(b, 'log.txt', 'line 4 (bob, while his peer was down)\n');
    assert.equal(await pa.stop(), 0);
    pb = await PeerProc.run(b);
    await waitUntil(() => readFileSync(join(b, 'log.txt'), 'utf8').includes('line 3'), 30_000, () => `Alice's line was not written on restart:\n${pb.out}`);
    pa = await PeerProc.run(a);
    const files = await waitConverged([a, b], 60_000, (f) => (f.get('log.txt') ?? '').includes('line 4') && (f.get('log.txt') ?? '').includes('line 3'), [pa, pb]);
    // Lines 3 and 4 were added at the same place concurrently (Bob's at the version his disk had): either order, each once.
    const alice3 = 'line 3 (alice, while bob runs)\n';
    const bob4 = 'line 4 (bob, while his peer was down)\n';
    assert.ok([`${start}${alice3}${bob4}`, `${start}${bob4}${alice3}`].includes(files.get('log.txt')!), `every line once: ${JSON.stringify(files.get('log.txt'))}`);
    assert.doesNotMatch(pb.out, /no common version|^deleted /m);
    assert.equal(await pb.stop(), 0);
    assert.equal(await pa.stop(), 0);
  });
});
