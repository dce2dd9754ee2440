/**
 * A revoked writer is told, and keeps its text (issue 14, finding 7), with real `weft
 * peer` and `weft broker` processes. The owner revokes Bob with `weft peer revoke` (the
 * same action as the extension's "Revoke Access…"; test/net/peer-identity.test.ts checks
 * the revocation itself: Bob's later edits no longer reach the owner, who no longer lists
 * him). Here:
 *  - Bob, not knowing yet, edits doc.md and creates from-bob.txt: concurrent with the
 *    revocation, refused by the owner, who logs the refusal naming Bob;
 *  - Bob's peer learns of the revocation and says so ("your access to this share was
 *    revoked"), not that he is a reader;
 *  - Bob edits doc.md and creates again-bob.txt: nothing of his reaches the owner or
 *    Carol, and everything he wrote stays on his disk;
 *  - the owner and Carol keep editing between themselves.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { append, brokerSuite, commitsHeld, folders, makeShare, peerCli, PeerProc, readTextFiles, waitConverged, waitUntil } from './peer-procs.js';

describe('net/a revoked writer is told, and keeps its text (issue 14)', function () {
  this.timeout(240_000);
  const suite = brokerSuite('revoked');

  it('the owner logs the refusal, Bob is told his access was revoked, his text stays on his disk and reaches no one', async () => {
    const [a, b, c] = folders(suite.root, ['owner', 'bob', 'carol']) as [string, string, string];
    const start = 'shared by all\n';
    writeFileSync(join(a, 'doc.md'), start);
    await makeShare(a, [b, c], ['--broker', suite.broker.tcp]);
    let procs = [await PeerProc.run(a), await PeerProc.run(b), await PeerProc.run(c)];
    await waitConverged([a, b, c], 60_000, (f) => f.get('doc.md') === start, procs);
    for (const p of procs) assert.equal(await p.stop(), 0);

    const keyB = (await peerCli('key', '--dir', b)).trim();
    assert.match(await peerCli('revoke', keyB, '--dir', a), /^revoked writer bob/);

    // Bob, not knowing yet: an edit and a new file, committed while his peer runs alone.
    let pb = await PeerProc.run(b);
    const held = commitsHeld(pb);
    append(b, 'doc.md', 'bob, before he heard\n');
    writeFileSync(join(b, 'from-bob.txt'), 'bob\'s file, before he heard\n');
    await waitUntil(() => commitsHeld(pb) >= held + 1 && /^added from-bob\.txt$/m.test(pb.out), 30_000, () => `Bob's edits were not committed:\n${pb.out}`);
    const pa = await PeerProc.run(a);
    await waitUntil(() => /^your access to this share was revoked/m.test(pb.out), 60_000, () => `Bob was not told:\n${pb.out}`);
    await waitUntil(() => /refused a commit [0-9a-f]+ from bob \(revoked\)/.test(pa.out), 30_000, () => `the owner did not log the refusal:\n${pa.out}`);
    assert.doesNotMatch(pb.out, /you are a reader/, 'Bob is revoked, not a reader');

    // Bob edits again, knowing.
    append(b, 'doc.md', 'bob, after he heard\n');
    writeFileSync(join(b, 'again-bob.txt'), 'bob\'s file, after he heard\n');
    const pc = await PeerProc.run(c);
    procs = [pa, pc];
    writeFileSync(join(a, 'from-owner.txt'), 'owner, after the revocation\n');
    writeFileSync(join(c, 'from-carol.txt'), 'carol, after the revocation\n');
    const files = await waitConverged([a, c], 60_000, (f) => f.has('from-owner.txt') && f.has('from-carol.txt'), procs);
    assert.deepEqual([...files.keys()].sort(), ['doc.md', 'from-carol.txt', 'from-owner.txt'], 'none of Bob\'s files reached the owner or Carol');
    assert.equal(files.get('doc.md'), start, 'none of Bob\'s lines reached them');

    // Restarted, Bob's peer still shares nothing, and everything Bob wrote is on his disk.
    assert.equal(await pb.stop(), 0);
    pb = await PeerProc.run(b);
    await waitUntil(() => /^your access to this share was revoked/m.test(pb.out), 30_000, () => `Bob was not told after his restart:\n${pb.out}`);
    const bobs = [...(await readTextFiles(b)).values()].join('');
    for (const line of ['bob, before he heard', 'bob\'s file, before he heard', 'bob, after he heard', 'bob\'s file, after he heard']) assert.ok(bobs.includes(line), `"${line}" is gone from Bob's disk`);
    assert.equal(readFileSync(join(b, 'again-bob.txt'), 'utf8'), 'bob\'s file, after he heard\n');
    for (const p of [pb, pa, pc]) assert.equal(await p.stop(), 0);
    assert.equal(readFileSync(join(a, 'doc.md'), 'utf8'), start);
  });
});
