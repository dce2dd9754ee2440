/**
 * Concurrent admins (issue 17, findings 1 and 3): whatever order replicas receive the
 * commits in, honest replicas holding the same commits agree on heads, text, members
 * and epochs; a commit an honest writer made on an epoch whose announcement later lost
 * its effect is kept the same way everywhere (never "unknown topic" on some replicas);
 * and once a writer has merged the revocation that wins, the revoked admin cannot read
 * what it writes next.
 */
import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/src/crypto/index.js';
import type { FileId } from '../../../protocol/src/share/manifest.js';
import { ShareReplica } from '../../../protocol/src/share/replica.js';
import { canRead, makeTeam, replay, rng, seededRandom } from './harness.js';

type Team = ReturnType<typeof makeTeam>;


function view(r: ShareReplica, file: FileId): string {
  return JSON.stringify({
    heads: [...r.heads()].sort(),
    text: r.text(file),
    members: [...r.members().keys()].sort(),
    topics: r.topicsNewestFirst().map(toHex).sort(),
  });
}

function setUp(seed: number): { team: Team; file: FileId } {
  const team = makeTeam([['alice', 'admin'], ['bob', 'admin'], ['carol', 'writer'], ['dave', 'writer']], seededRandom(rng(300 + seed)));
  const file = team.owner.createFile('doc.md', 'text', 'start\n');
  team.net.publish(team.owner.flush());
  for (const r of team.replicas.values()) team.net.deliverAll(r, rng(seed));
  return { team, file };
}

describe('share/concurrent admins', () => {
  for (let seed = 1; seed <= 6; seed++) {
    it(`two admins revoke each other at once: replicas agree in every order, and the loser reads nothing written after (seed ${seed})`, () => {
      const { team, file } = setUp(seed);
      const alice = team.replicas.get('alice')!;
      const bob = team.replicas.get('bob')!;
      const carol = team.replicas.get('carol')!;
      alice.revoke(team.keys.get('bob')!.publicKey);
      team.net.publish(alice.flush());
      bob.revoke(team.keys.get('alice')!.publicKey);
      team.net.publish(bob.flush());
      team.net.deliverAll(carol, rng(seed));
      carol.edit(file, 0, 0, 'carol after both\n');
      const after = carol.flushInPieces();
      for (const env of after) team.net.publish(env);
      const views = [1, 2, 3, 4, 5].map((k) => view(replay(team, k % 2 ? 'owner' : 'dave', seed * 31 + k), file));
      for (const v of views) assert.equal(v, views[0], 'replicas disagree');
      const members = replay(team, 'owner', seed).members();
      const loser = members.has(toHex(team.keys.get('alice')!.publicKey)) ? 'bob' : 'alice';
      const loserReplica = replay(team, loser, seed);
      assert.equal(canRead(loserReplica, after.at(-1)!), false, `${loser}, revoked, reads carol's commit made after both revocations`);
    });
  }

  for (let seed = 1; seed <= 4; seed++) {
    it(`the admin a losing revocation left out reads everything once granted anew, though the grant waits behind commits it cannot open (seed ${seed})`, () => {
      const { team, file } = setUp(seed);
      const alice = team.replicas.get('alice')!;
      const bob = team.replicas.get('bob')!;
      // The boxes each admin held before: what a replica of theirs starts from below.
      const boxesBefore = new Map(['alice', 'bob'].map((n) => [n, team.owner.keyBoxesFor(team.keys.get(n)!.publicKey)]));
      alice.revoke(team.keys.get('bob')!.publicKey);
      team.net.publish(alice.flush());
      bob.revoke(team.keys.get('alice')!.publicKey); // its rotation leaves alice out
      team.net.publish(bob.flush());
      bob.edit(file, 0, 0, 'bob on his own epoch\n');
      for (const env of bob.flushInPieces()) team.net.publish(env);
      team.net.deliverAll(team.owner, rng(seed));
      const winner = team.owner.members().has(toHex(team.keys.get('alice')!.publicKey)) ? 'alice' : 'bob';
      // The owner rotates (its commit follows the loser's, which the winner cannot open),
      // then grants the winner again: the grant, on the new epoch, seals every key.
      team.owner.revoke(team.keys.get('dave')!.publicKey);
      team.net.publish(team.owner.flush());
      team.owner.grant(team.keys.get(winner)!.publicKey, 'admin', winner);
      team.net.publish(team.owner.flush());
      for (let order = 1; order <= 4; order++) {
        const r = new ShareReplica({ shareId: team.owner.shareId, me: team.keys.get(winner)! });
        r.addKeys(boxesBefore.get(winner)!);
        team.net.deliverAll(r, rng(seed * 10 + order));
        assert.equal(r.lockedOutCount(), 0, `${winner} still waits for a key (order ${order})`);
        assert.deepEqual([...r.heads()].sort(), [...team.owner.heads()].sort(), `${winner} lacks commits the owner holds (order ${order})`);
        assert.equal(r.text(file), team.owner.text(file));
      }
    });
  }

  for (let seed = 1; seed <= 6; seed++) {
    it(`the owner revokes an admin who rotates at that moment: replicas agree in every order (seed ${seed})`, () => {
      const { team, file } = setUp(seed);
      const alice = team.replicas.get('alice')!;
      const carol = team.replicas.get('carol')!;
      // Alice rotates (revoking dave) while the owner revokes her.
      alice.revoke(team.keys.get('dave')!.publicKey);
      const rotation = alice.flush()!;
      team.net.publish(rotation);
      team.owner.revoke(team.keys.get('alice')!.publicKey);
      const revocation = team.owner.flush()!;
      team.net.publish(revocation);
      // Carol merges Alice's rotation first and writes on its epoch.
      carol.receive(rotation.bytes);
      carol.edit(file, 0, 0, 'carol on alice epoch\n');
      for (const env of carol.flushInPieces()) team.net.publish(env);
      // Then she learns of the revocation and writes again.
      carol.receive(revocation.bytes);
      carol.edit(file, 0, 0, 'carol after the revocation\n');
      const later = carol.flushInPieces();
      for (const env of later) team.net.publish(env);
      const views = [1, 2, 3, 4, 5].map((k) => view(replay(team, k % 2 ? 'owner' : 'bob', seed * 37 + k), file));
      for (const v of views) assert.equal(v, views[0], 'replicas disagree');
      assert.ok(replay(team, 'owner', seed).text(file).includes('carol on alice epoch'), "carol's honest text on alice's epoch is lost");
      assert.equal(canRead(replay(team, 'alice', seed), later.at(-1)!), false, 'alice, revoked, reads what carol wrote after merging the revocation');
    });
  }
});
