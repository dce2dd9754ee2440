/**
 * KEYS and KEYREQ for members that hold keys but lack one (issue 17): a KEYS message
 * signed by an epoch whose key a box brought us, its announcement still on its way, is
 * taken (the announcement may wait for the very keys it brings); one signed by a topic we
 * know nothing of is not; and a member with commits locked out for want of a key asks
 * again soon, then less and less often, and not at all when nothing waits.
 */
import assert from 'node:assert/strict';
import { generateSigningKeyPair, sign } from '../../../protocol/src/crypto/index.js';
import { keysSignedBytes } from '../../../protocol/src/multicast/wire.js';
import { ShareReplica } from '../../../protocol/src/share/replica.js';
import { KeyAsking, keysAreForUs, keysMessageFor } from '../../../protocol/runtime/peer-keys.js';
import { makeTeam, rng, seededRandom } from '../share/harness.js';

describe('runtime/peer keys', () => {
  it('KEYS signed by an epoch whose key we hold but whose announcement we lack is ours; an unknown topic\'s is not', () => {
    const team = makeTeam([['alice', 'admin'], ['bob', 'writer']], seededRandom(rng(7)));
    const bobKey = team.keys.get('bob')!;
    // Bob joined before the rotation: his replica has not merged it, but holds its key from a box.
    const bob = new ShareReplica({ shareId: team.owner.shareId, me: bobKey });
    bob.addKeys(team.owner.keyBoxesFor(bobKey.publicKey));
    team.net.deliverAll(bob, rng(1));
    team.owner.revoke(team.keys.get('alice')!.publicKey);
    const rotation = team.owner.flush()!;
    const msg = keysMessageFor(team.owner, bobKey.publicKey)!;
    assert.equal(keysAreForUs(bob, bob.topicsNewestFirst(), msg), false, 'a KEYS message signed by a topic bob knows nothing of was taken');
    bob.addKeys(team.owner.keyBoxesFor(bobKey.publicKey)); // the new epoch's box, as a handover brings it
    assert.ok(!bob.has(rotation.id));
    assert.equal(keysAreForUs(bob, bob.topicsNewestFirst(), msg), true);
    const stranger = generateSigningKeyPair();
    const forged = { ...msg, topic: stranger.publicKey, signature: sign(stranger.secretKey, keysSignedBytes(msg.member, msg.boxes)) };
    assert.equal(keysAreForUs(bob, bob.topicsNewestFirst(), forged), false);
  });

  it('a member asks again while commits wait for a key: soon after they come, then backing off, never with none waiting', () => {
    const asking = new KeyAsking();
    const asked: number[] = [];
    const run = (from: number, to: number, locked: number): void => {
      for (let t = from; t <= to; t += 100) if (asking.due(t, locked)) asked.push(t);
    };
    run(0, 5_000, 0);
    assert.deepEqual(asked, [], 'asked with nothing locked out');
    run(5_100, 12_100, 2);
    assert.deepEqual(asked, [6_100, 7_100, 9_100], 'not 1 s after the lock-out, then after 2 s and 4 s');
    asked.length = 0;
    run(12_200, 12_200, 3); // one more commit locked out: ask soon again
    run(12_300, 14_000, 3);
    assert.deepEqual(asked, [13_200]);
    asked.length = 0;
    run(14_100, 200_000, 3);
    const gaps = asked.slice(1).map((t, i) => t - asked[i]!);
    assert.ok(gaps.every((g, i) => i === 0 || g >= gaps[i - 1]!), `gaps shrink: ${gaps.join(', ')}`);
    assert.equal(Math.max(...gaps), 60_000, `gaps: ${gaps.join(', ')}`);
    asked.length = 0;
    run(200_100, 300_000, 0);
    assert.deepEqual(asked, [], 'asked after every commit was unlocked');
  });
});
