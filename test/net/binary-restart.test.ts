/**
 * A file's bytes survive a restart and a round trip (issue 14, finding 9), with real
 * `weft peer run` and `weft broker` processes:
 *  - a teammate's newer version of a binary file that arrived (merged, its chunks
 *    fetched) but was not written before the peer died wins over the older copy still on
 *    disk when the peer comes back (WEFT_TEST_CRASH_BEFORE_WRITE kills Bob's peer right
 *    before that write); and a binary file edited while the peer was stopped is shared;
 *  - a UTF-8 byte-order mark at the start of a text file reaches the teammate's disk, and
 *    comes back after the teammate's edit, byte for byte.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { append, brokerSuite, folders, makeShare, PeerProc, randomBinary, saveAtomically, waitUntil } from './peer-procs.js';

function holds(dir: string, name: string, bytes: Uint8Array): boolean {
  return existsSync(join(dir, name)) && readFileSync(join(dir, name)).equals(Buffer.from(bytes));
}

describe('net/bytes across a restart: a binary file\'s newer version, a byte-order mark (issue 14)', function () {
  this.timeout(240_000);
  const suite = brokerSuite('binary-restart');

  it('a newer version merged but not written before the peer died wins over the older disk copy; an edit made while stopped is shared', async () => {
    const [a, b] = folders(suite.root, ['alice', 'bob']) as [string, string];
    const v1 = randomBinary(200_000);
    writeFileSync(join(a, 'logo.bin'), v1);
    await makeShare(a, [b], ['--broker', suite.broker.tcp]);
    const pa = await PeerProc.run(a);
    let pb = await PeerProc.run(b);
    const both = (bytes: Uint8Array): boolean => holds(a, 'logo.bin', bytes) && holds(b, 'logo.bin', bytes);
    await waitUntil(() => both(v1), 60_000, () => `${pa.out}\n---\n${pb.out}`);
    assert.equal(await pb.stop(), 0);

    pb = await PeerProc.run(b, [], { WEFT_TEST_CRASH_BEFORE_WRITE: 'logo.bin' });
    const v2 = randomBinary(150_000);
    saveAtomically(a, 'logo.bin', v2);
    await pb.exited;
    assert.equal(pb.proc.signalCode, 'SIGKILL', `Bob's peer did not die at the hook:\n${pb.out}`);
    assert.match(pb.out, /^merged 1 commit$/m);
    assert.ok(holds(b, 'logo.bin', v1), 'the newer version was not written before the crash');

    pb = await PeerProc.run(b);
    await waitUntil(() => both(v2), 60_000, () => `the newer version did not win on Bob's restart:\n${pb.out}\n--- alice\n${pa.out}`);
    assert.doesNotMatch(pb.out, /^(changed|added) logo\.bin/m, 'Bob shared his older copy as a change');
    assert.equal([...pa.out.matchAll(/^merged/gm)].length, 0, 'Alice merged nothing from Bob');

    // Edited while Bob's peer was stopped: shared on restart.
    assert.equal(await pb.stop(), 0);
    const v3 = randomBinary(120_000);
    saveAtomically(b, 'logo.bin', v3);
    pb = await PeerProc.run(b);
    await waitUntil(() => both(v3), 60_000, () => `Bob's edit made while stopped did not reach Alice:\n${pb.out}\n--- alice\n${pa.out}`);
    for (const p of [pb, pa]) assert.equal(await p.stop(), 0);
  });

  it('a UTF-8 byte-order mark reaches the teammate\'s disk and comes back after the teammate\'s edit, byte for byte', async () => {
    const [a, b] = folders(suite.root, ['alice-bom', 'bob-bom']) as [string, string];
    writeFileSync(join(a, 'readme.md'), 'shared\n');
    await makeShare(a, [b], ['--broker', suite.broker.tcp]);
    const pa = await PeerProc.run(a);
    const pb = await PeerProc.run(b);
    const first = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('first line\r\nsecond line\r\n')]);
    writeFileSync(join(a, 'bom.txt'), first);
    await waitUntil(() => holds(b, 'bom.txt', first), 60_000, () => `${pa.out}\n---\n${pb.out}`);
    append(b, 'bom.txt', 'third line, by bob\r\n');
    const second = Buffer.concat([first, Buffer.from('third line, by bob\r\n')]);
    await waitUntil(() => holds(a, 'bom.txt', second), 60_000, () => `${pa.out}\n---\n${pb.out}`);
    assert.ok(holds(b, 'bom.txt', second));
    for (const p of [pb, pa]) assert.equal(await p.stop(), 0);
  });
});
