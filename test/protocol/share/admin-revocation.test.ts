/**
 * Revocation wins, for admins too (issue 17, finding 4): a grant made by an admin
 * concurrently with that admin's revocation takes effect nowhere, whichever of the two
 * comes first in the access order; two admins revoking each other at once still end with
 * exactly one of them, the same on every replica.
 */
import assert from 'node:assert/strict';
import type { CommitEnvelope } from '../../../protocol/src/log/commit.js';
import { toHex } from '../../../protocol/src/crypto/index.js';
import { ShareReplica } from '../../../protocol/src/share/replica.js';
import { canRead, keyFor, makeTeam, rng, seededRandom } from './harness.js';

function freshReplica(team: ReturnType<typeof makeTeam>, name: string, commits: readonly CommitEnvelope[], order: (n: number) => number): ShareReplica {
  const me = team.keys.get(name)!;
  const r = new ShareReplica({ shareId: team.owner.shareId, me });
  r.addKeys(team.owner.keyBoxesFor(me.publicKey));
  const all = [...team.net.order.map((id) => team.net.all.get(id)!), ...commits.map((c) => c.bytes)];
  for (let i = all.length - 1; i > 0; i--) {
    const j = order(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  for (const bytes of all) r.receive(bytes);
  return r;
}

describe('share/admin revocation', () => {
  for (let seed = 1; seed <= 8; seed++) {
    it(`an admin's grant concurrent with its revocation takes effect nowhere (seed ${seed})`, () => {
      const team = makeTeam([['alice', 'admin'], ['bob', 'admin'], ['carol', 'writer']], seededRandom(rng(seed)));
      const alice = team.replicas.get('alice')!;
      const bob = team.replicas.get('bob')!;
      const eve = keyFor(`eve-${seed}`);
      alice.revoke(team.keys.get('bob')!.publicKey);
      const revocation = alice.flush()!;
      // Bob has not seen his revocation: his grant is concurrent with it.
      bob.grant(eve.publicKey, 'writer', 'eve');
      const grant = bob.flush()!;
      const next = rng(seed * 7919);
      const order = (n: number): number => Math.floor(next() * n);
      const views = ['owner', 'carol', 'alice'].map((name) => freshReplica(team, name, [revocation, grant], order));
      for (const r of views) {
        assert.equal(r.members().has(toHex(eve.publicKey)), false, 'eve became a member through a grant by a revoked admin');
        assert.equal(r.members().has(toHex(team.keys.get('bob')!.publicKey)), false, 'bob is still a member');
      }
    });
  }

  for (let seed = 1; seed <= 8; seed++) {
    it(`two admins revoking each other at once: exactly one stays, the same everywhere (seed ${seed})`, () => {
      const team = makeTeam([['alice', 'admin'], ['bob', 'admin'], ['carol', 'writer']], seededRandom(rng(100 + seed)));
      const alice = team.replicas.get('alice')!;
      const bob = team.replicas.get('bob')!;
      alice.revoke(team.keys.get('bob')!.publicKey);
      const byAlice = alice.flush()!;
      bob.revoke(team.keys.get('alice')!.publicKey);
      const byBob = bob.flush()!;
      const next = rng(seed * 104729);
      const order = (n: number): number => Math.floor(next() * n);
      const members = ['owner', 'carol'].map((name) => [...freshReplica(team, name, [byAlice, byBob], order).members().keys()].sort().join());
      assert.equal(members[0], members[1]);
      const alicePresent = members[0]!.includes(toHex(team.keys.get('alice')!.publicKey));
      const bobPresent = members[0]!.includes(toHex(team.keys.get('bob')!.publicKey));
      assert.equal(Number(alicePresent) + Number(bobPresent), 1, `alice ${alicePresent}, bob ${bobPresent}`);
    });
  }
});

describe('share/concurrent rotations', () => {
  for (let seed = 1; seed <= 6; seed++) {
    it(`two admins revoke two members at once: neither revoked member reads the next commit (seed ${seed})`, () => {
      const team = makeTeam([['alice', 'admin'], ['bob', 'admin'], ['xavier', 'writer'], ['yvonne', 'writer']], seededRandom(rng(200 + seed)));
      const file = team.owner.createFile('doc.md', 'text', 'start\n');
      team.net.publish(team.owner.flush());
      for (const r of team.replicas.values()) team.net.deliverAll(r, rng(seed));
      const alice = team.replicas.get('alice')!;
      const bob = team.replicas.get('bob')!;
      alice.revoke(team.keys.get('xavier')!.publicKey);
      team.net.publish(alice.flush());
      bob.revoke(team.keys.get('yvonne')!.publicKey);
      team.net.publish(bob.flush());
      // The revoked members receive everything up to the rotations (each got the other rotation's key).
      const xavier = team.replicas.get('xavier')!;
      const yvonne = team.replicas.get('yvonne')!;
      team.net.deliverAll(xavier, rng(seed));
      team.net.deliverAll(yvonne, rng(seed));
      team.net.deliverAll(team.owner, rng(seed));
      team.owner.edit(file, 0, 0, 'secret after both revocations\n');
      const made = team.owner.flushInPieces();
      assert.ok(made.length >= 1);
      for (const env of made) {
        for (const [name, r] of [['xavier', xavier], ['yvonne', yvonne]] as const) {
          const opened = canRead(r, env);
          if (env === made.at(-1)) assert.equal(opened, false, `${name}, revoked, can decrypt the owner's commit made after both revocations`);
        }
      }
      // Every honest member still reads it.
      for (const name of ['alice', 'bob']) {
        const r = team.replicas.get(name)!;
        for (const env of made) r.receive(env.bytes);
        team.net.deliverAll(r, rng(seed));
        assert.ok(r.text(file).includes('secret after both revocations'), `${name} cannot read it`);
      }
    });
  }
});

describe('share/concurrent rotations, a writer writes next', () => {
  for (let seed = 1; seed <= 6; seed++) {
    it(`two admins revoke two members at once; a writer (not an admin) merges both and writes: neither revoked member reads it (seed ${seed})`, () => {
      const team = makeTeam([['alice', 'admin'], ['bob', 'admin'], ['carol', 'writer'], ['xavier', 'writer'], ['yvonne', 'writer']], seededRandom(rng(500 + seed)));
      const file = team.owner.createFile('doc.md', 'text', 'start\n');
      team.net.publish(team.owner.flush());
      for (const r of team.replicas.values()) team.net.deliverAll(r, rng(seed));
      const alice = team.replicas.get('alice')!;
      const bob = team.replicas.get('bob')!;
      const carol = team.replicas.get('carol')!;
      alice.revoke(team.keys.get('xavier')!.publicKey);
      team.net.publish(alice.flush());
      bob.revoke(team.keys.get('yvonne')!.publicKey);
      team.net.publish(bob.flush());
      team.net.deliverAll(carol, rng(seed));
      carol.edit(file, 0, 0, 'carol after both revocations\n');
      const made = carol.flushInPieces();
      for (const env of made) team.net.publish(env);
      for (const name of ['xavier', 'yvonne']) {
        const r = team.replicas.get(name)!;
        team.net.deliverAll(r, rng(seed));
        assert.equal(r.text(file).includes('carol after both'), false, `${name}, revoked, reads carol's text`);
        const opened = canRead(r, made.at(-1)!);
        assert.equal(opened, false, `${name}, revoked, can decrypt carol's commit`);
      }
      // The rotation carol made is effective everywhere, and the honest members read her text.
      for (const name of ['owner', 'alice', 'bob']) {
        const r = team.replicas.get(name)!;
        team.net.deliverAll(r, rng(seed + 1));
        assert.ok(r.text(file).includes('carol after both revocations'), `${name} cannot read carol's text`);
        assert.equal(r.currentEpochLeaksTo().length, 0, `${name}'s current epoch still reaches a former member`);
      }
    });
  }
});
