/**
 * Each hostile commit is rejected with its own reason, and the replica's state is
 * exactly what it was before.
 */
import assert from 'node:assert/strict';
import { generateSigningKeyPair, sign, type SigningKeyPair } from '../../../protocol/src/crypto/index.js';
import { createCommit, type CommitEnvelope } from '../../../protocol/src/log/commit.js';
import type { CommitId } from '../../../protocol/src/log/ids.js';
import type { FileId } from '../../../protocol/src/share/manifest-ops.js';
import { encodePayload } from '../../../protocol/src/share/payload.js';
import { agentOf, ShareReplica } from '../../../protocol/src/share/replica.js';
import { TextDoc, encodeOps } from '../../../protocol/src/text/index.js';
import { makeTeam, replay, rng, seededRandom, type Team } from './harness.js';

function snapshot(r: ShareReplica): string {
  return JSON.stringify({ heads: r.heads(), files: r.files(), texts: r.files().map((f) => r.text(f.file)), members: [...r.members()].sort() });
}

/** A commit inserting `text` at the start of `file`, built by hand with the given keys. */
function forge(team: Team, author: SigningKeyPair, file: FileId, text: string, deps: CommitId[], opts: { signer?: SigningKeyPair; topicIndex?: number } = {}): CommitEnvelope {
  const epochs = team.owner.heldEpochs();
  const epoch = epochs[opts.topicIndex ?? epochs.length - 1]!;
  const doc = new TextDoc(agentOf(Buffer.from(author.publicKey).toString('hex')));
  const ops = doc.insert(0, text);
  const payload = encodePayload([{ type: 'text', file, ops: encodeOps(ops) }]);
  const authorKeys = opts.signer ? { publicKey: author.publicKey, secretKey: opts.signer.secretKey } : author;
  return createCommit({ topic: { publicKey: epoch.topic, secretKey: epoch.topicSecret! }, epochKey: epoch.key, author: authorKeys, deps, payload });
}

describe('share/adversarial commits', () => {
  let team: Team;
  let file: FileId;
  beforeEach(() => {
    team = makeTeam([
      ['bob', 'writer'],
      ['rita', 'reader'],
    ]);
    file = team.owner.createFile('doc.md', 'text', 'original');
    team.net.publish(team.owner.flush());
  });

  function expectRejected(bytes: Uint8Array, reason: string): void {
    const before = snapshot(team.owner);
    const out = team.owner.receive(bytes);
    const last = out.results[out.results.length - 1]!;
    assert.equal(last.status, 'rejected', JSON.stringify(out.results));
    assert.equal((last as { reason: string }).reason, reason);
    assert.equal(snapshot(team.owner), before);
  }

  function expectIneffective(bytes: Uint8Array, reason: string): void {
    const before = JSON.parse(snapshot(team.owner));
    const out = team.owner.receive(bytes);
    const last = out.results[out.results.length - 1]!;
    assert.equal(last.status, 'merged');
    assert.equal((last as { effective: boolean }).effective, false);
    assert.equal((last as { reason: string }).reason, reason);
    const after = JSON.parse(snapshot(team.owner));
    assert.deepEqual(after.files, before.files);
    assert.deepEqual(after.texts, before.texts);
    assert.deepEqual(after.members, before.members);
  }

  it('forged author signature', () => {
    const bob = team.keys.get('bob')!;
    expectRejected(forge(team, bob, file, 'evil', team.owner.heads(), { signer: generateSigningKeyPair() }).bytes, 'bad-author-signature');
  });

  it('valid signature by a non-member (with leaked topic and epoch keys)', () => {
    expectIneffective(forge(team, generateSigningKeyPair(), file, 'evil', team.owner.heads()).bytes, 'not-a-member');
  });

  it('a reader writing', () => {
    expectIneffective(forge(team, team.keys.get('rita')!, file, 'evil', team.owner.heads()).bytes, 'not-allowed');
  });

  it('a revoked member writing after the revocation and concurrently with it', () => {
    const bob = team.keys.get('bob')!;
    const beforeRevocation = team.owner.heads();
    team.owner.revoke(bob.publicKey);
    const revocation = team.net.publish(team.owner.flush())!;
    // After: depends on the revocation, uses the old epoch (bob has no new key).
    expectIneffective(forge(team, bob, file, 'after', [revocation.id], { topicIndex: 0 }).bytes, 'revoked');
    // Concurrently: same causal past as the revocation. It is also concurrent with bob's
    // 'after' commit, a fork of his chain: 'forked' is the reason every replica gives
    // (the fork is a fact of the commits held; the revocation may come before or after).
    expectIneffective(forge(team, bob, file, 'concurrent', beforeRevocation, { topicIndex: 0 }).bytes, 'forked');
    assert.equal(team.owner.text(file), 'original');
  });

  it('revocation wins over concurrent edits already applied (documents are recomputed)', () => {
    const bobReplica = team.replicas.get('bob')!;
    team.net.deliverAll(bobReplica);
    bobReplica.edit(file, 0, 0, 'BOB ');
    const bobEdit = team.net.publish(bobReplica.flush())!;
    const owner2 = team.replicas.get('rita')!; // another observer
    team.net.deliverAll(owner2);
    assert.equal(owner2.text(file), 'BOB original');
    team.owner.revoke(team.keys.get('bob')!.publicKey);
    team.net.publish(team.owner.flush());
    // The owner never saw bob's edit before revoking: it is concurrent.
    team.owner.receive(bobEdit.bytes);
    assert.equal(team.owner.text(file), 'original');
    team.net.deliverAll(owner2);
    assert.equal(owner2.text(file), 'original');
  });

  it('a replayed commit', () => {
    const bobReplica = team.replicas.get('bob')!;
    team.net.deliverAll(bobReplica);
    bobReplica.edit(file, 0, 0, 'x');
    const c = bobReplica.flush()!;
    team.owner.receive(c.bytes);
    const before = snapshot(team.owner);
    const out = team.owner.receive(c.bytes);
    assert.equal(out.results[0]!.status, 'duplicate');
    assert.equal(snapshot(team.owner), before);
  });

  it('a commit whose dependency never arrives waits, is reported, and is evicted from a full buffer', () => {
    const small = new ShareReplica({ shareId: team.owner.shareId, me: team.keys.get('bob')!, pending: { maxCommits: 2, maxBytes: 1 << 20 } });
    small.addKeys(team.owner.keyBoxesFor(team.keys.get('bob')!.publicKey));
    team.net.deliverAll(small);
    const bob = team.keys.get('bob')!;
    const ghost = ('ab'.repeat(32)) as CommitId;
    const c1 = forge(team, bob, file, 'one', [ghost]);
    const r1 = small.receive(c1.bytes);
    assert.equal(r1.results[0]!.status, 'pending');
    assert.deepEqual(small.wanted(), [ghost]);
    small.receive(forge(team, bob, file, 'two', [ghost]).bytes);
    const r3 = small.receive(forge(team, bob, file, 'three', [ghost]).bytes);
    assert.ok(r3.results.some((r) => r.status === 'rejected' && r.reason === 'missing-dependency' && r.id === c1.id));
  });

  it('a tampered ciphertext (re-signed with the topic key, so only the AEAD catches it)', () => {
    const bob = team.keys.get('bob')!;
    const c = forge(team, bob, file, 'evil', team.owner.heads());
    const epoch = team.owner.heldEpochs()[0]!;
    const bytes = c.bytes.slice();
    bytes[c.signedLength - 5]! ^= 1; // inside the ciphertext
    bytes.set(sign(epoch.topicSecret!, bytes.subarray(0, c.signedLength)), c.signedLength);
    expectRejected(bytes, 'undecryptable');
  });

  it('a tampered ciphertext without the topic key fails the topic signature', () => {
    const c = forge(team, team.keys.get('bob')!, file, 'evil', team.owner.heads());
    const bytes = c.bytes.slice();
    bytes[c.signedLength - 5]! ^= 1;
    expectRejected(bytes, 'bad-topic-signature');
  });

  it('malformed bytes', () => {
    expectRejected(new Uint8Array([0x43, 1, 2, 3]), 'malformed');
    expectRejected(new Uint8Array(0), 'malformed');
  });

  it('a commit larger than the limit', () => {
    const limited = new ShareReplica({ shareId: team.owner.shareId, me: team.keys.get('bob')!, maxCommitBytes: 4096 });
    const big = forge(team, team.keys.get('bob')!, file, 'x'.repeat(10_000), team.owner.heads());
    const out = limited.receive(big.bytes);
    assert.equal(out.results[0]!.status, 'rejected');
    assert.equal((out.results[0] as { reason: string }).reason, 'too-large');
  });
});

describe('share/a revoked writer\'s concurrent commit', () => {

  it('that deletes and then types: honest text anchored on what it typed stays, in every order', () => {
    // Found by the dishonest mix (seeds 39, 52, 54, 58): an ineffective commit's delete
    // was left out, so its author's later ids never applied, and neither did any honest
    // edit anchored on them.
    for (let seed = 1; seed <= 6; seed++) {
      const team = makeTeam([['bob', 'writer'], ['carol', 'writer']], seededRandom(rng(700 + seed)));
      const file = team.owner.createFile('doc.md', 'text', 'one\ntwo\n');
      team.net.publish(team.owner.flush());
      for (const r of team.replicas.values()) team.net.deliverAll(r, rng(seed));
      const bob = team.replicas.get('bob')!;
      const carol = team.replicas.get('carol')!;
      team.owner.revoke(team.keys.get('bob')!.publicKey);
      team.net.publish(team.owner.flush());
      // Bob, not knowing he is revoked, replaces "one" by "ONE": a delete, then an insert.
      bob.edit(file, 0, 3, 'ONE');
      const bobs = team.net.publish(bob.flush())!;
      // Carol saw Bob's edit (not the revocation) and types right after his text.
      carol.receive(bobs.bytes);
      carol.edit(file, 3, 0, ' [carol]');
      team.net.publish(carol.flush());
      const texts = new Set<string>();
      for (let order = 1; order <= 4; order++) {
        const r = replay(team, 'owner', seed * 10 + order);
        assert.equal(r.rejection(bobs.id), 'revoked');
        texts.add(r.text(file));
      }
      // Bob's "ONE" (hidden now) stood before the "one" it deleted, and Carol typed after it.
      assert.deepEqual([...texts], [' [carol]one\ntwo\n'], `seed ${seed}: Carol's line is lost or misplaced`);
    }
  });
});

describe('share/text anchored outside its commit\'s past', () => {
  it('has no effect on any replica, whatever the delivery order', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const team = makeTeam([['bob', 'writer'], ['carol', 'writer']], seededRandom(rng(800 + seed)));
      const file = team.owner.createFile('doc.md', 'text', 'start\n');
      const setup = team.net.publish(team.owner.flush())!;
      const carol = team.replicas.get('carol')!;
      team.net.deliverAll(carol, rng(seed));
      carol.edit(file, 0, 0, 'C');
      const carols = team.net.publish(carol.flush())!;
      // Bob's commit names only the setup as its past, but anchors on Carol's character.
      const bob = team.keys.get('bob')!;
      const carolAgent = agentOf(Buffer.from(team.keys.get('carol')!.publicKey).toString('hex'));
      const ops = [{ kind: 'insert' as const, agent: agentOf(Buffer.from(bob.publicKey).toString('hex')), seq: 0, originLeft: { agent: carolAgent, seq: 0 }, originRight: null, text: 'X' }];
      const epoch = team.owner.heldEpochs().at(-1)!;
      const payload = encodePayload([{ type: 'text', file, ops: encodeOps(ops) }]);
      const foreign = createCommit({ topic: { publicKey: epoch.topic, secretKey: epoch.topicSecret! }, epochKey: epoch.key, author: bob, deps: [setup.id], payload });
      const texts = new Set<string>();
      for (const first of [carols, foreign]) {
        const r = new ShareReplica({ shareId: team.owner.shareId, me: team.keys.get('owner')! });
        r.addKeys(team.owner.keyBoxesFor(team.keys.get('owner')!.publicKey));
        for (const id of team.net.order) if (id !== carols.id) r.receive(team.net.all.get(id)!);
        r.receive(first.bytes);
        r.receive((first === carols ? foreign : carols).bytes);
        texts.add(r.text(file));
      }
      assert.deepEqual([...texts], ['Cstart\n'], `seed ${seed}: the text depends on the delivery order, or the foreign-anchored text shows`);
    }
  });
});
