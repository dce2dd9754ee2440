/**
 * Bounded waiting (issue 17, finding 7): commits that wait for their dependencies are
 * held in fair shares per source. An outsider flooding commits on a topic key of its own
 * making, or a member flooding commits with hundreds of unknown dependencies, evicts its
 * own commits, never an honest commit waiting for its dependency; the ids asked of peers
 * stay bounded; an author's evicted commit is asked for again.
 */
import assert from 'node:assert/strict';
import { generateSigningKeyPair, randomBytes } from '../../../protocol/src/crypto/index.js';
import { createCommit } from '../../../protocol/src/log/commit.js';
import { commitIdFromBytes, type CommitId } from '../../../protocol/src/log/ids.js';
import { ShareReplica } from '../../../protocol/src/share/replica.js';
import { PendingBuffer } from '../../../protocol/src/log/pending.js';
import { makeTeam } from './harness.js';

const unknownId = (): CommitId => commitIdFromBytes(randomBytes(32));

function fresh(team: ReturnType<typeof makeTeam>, name: string, limits = { maxCommits: 1000, maxBytes: 4 << 20 }): ShareReplica {
  const me = team.keys.get(name)!;
  const r = new ShareReplica({ shareId: team.owner.shareId, me, pending: limits });
  r.addKeys(team.owner.keyBoxesFor(me.publicKey));
  for (const id of team.net.order) r.receive(team.net.all.get(id)!);
  return r;
}

describe('share/bounded waiting', () => {
  it("an outsider's flood on its own topic key does not evict an honest commit waiting for its dependency", () => {
    const team = makeTeam([['bob', 'writer'], ['carol', 'writer']]);
    const file = team.owner.createFile('doc.md', 'text', 'start\n');
    team.net.publish(team.owner.flush());
    const carol = fresh(team, 'carol');
    const bob = team.replicas.get('bob')!;
    for (const id of team.net.order) bob.receive(team.net.all.get(id)!);
    bob.edit(file, 0, 0, 'first\n');
    const first = bob.flush()!;
    bob.edit(file, 0, 0, 'second\n');
    const second = bob.flush()!;
    // The second arrives first: it waits for the first.
    assert.equal(carol.receive(second.bytes).results[0]!.status, 'pending');
    const outsider = generateSigningKeyPair();
    const topic = generateSigningKeyPair();
    for (let i = 0; i < 10_050; i++) {
      const junk = createCommit({ topic, epochKey: randomBytes(32), author: outsider, deps: [unknownId()], payload: randomBytes(32) });
      carol.receive(junk.bytes);
    }
    carol.receive(first.bytes);
    assert.equal(carol.text(file), 'second\nfirst\nstart\n');
    assert.ok(carol.wanted().length <= 4096, `${carol.wanted().length} ids wanted`);
  });

  it('commits naming hundreds of unknown dependencies cost bounded memory and a bounded number of wanted ids', () => {
    const buffer = new PendingBuffer<number>({ maxCommits: 10_000, maxBytes: 8 << 20, maxWanted: 4096 });
    for (let i = 0; i < 3000; i++) buffer.hold(unknownId(), Array.from({ length: 256 }, unknownId), i, 600, 'flooder');
    // 256 ids cost 32 KiB of bookkeeping each: about 250 such commits fit in 8 MiB, not 3,000.
    assert.ok(buffer.size < 300, `${buffer.size} held`);
    assert.ok(buffer.wanted().length <= 4096);
    const honest = unknownId();
    const dep = unknownId();
    const evicted = buffer.hold(honest, [dep], -1, 600, 'honest');
    assert.ok(evicted.every((e) => e.source === 'flooder'), 'room was made in another source than the flooder');
    assert.ok(buffer.has(honest), 'the honest commit was refused');
    assert.deepEqual(buffer.resolve(dep).map((r) => r.item), [-1]);
  });

  it("a source that would be the largest by itself is refused, and another source's entries stay", () => {
    const buffer = new PendingBuffer<string>({ maxCommits: 4, maxBytes: 1 << 20 });
    const honest = unknownId();
    buffer.hold(honest, [unknownId()], 'honest', 100, 'alice');
    for (let i = 0; i < 10; i++) buffer.hold(unknownId(), [unknownId()], `flood${i}`, 100, 'mallory');
    assert.ok(buffer.has(honest));
    assert.equal(buffer.size, 4);
  });

  it("an author's commit evicted while waiting is asked for again", () => {
    const team = makeTeam([['bob', 'writer']]);
    const file = team.owner.createFile('doc.md', 'text', 'start\n');
    team.net.publish(team.owner.flush());
    const owner = fresh(team, 'owner', { maxCommits: 2, maxBytes: 1 << 20 });
    const bob = team.replicas.get('bob')!;
    for (const id of team.net.order) bob.receive(team.net.all.get(id)!);
    const made = [];
    for (let i = 0; i < 4; i++) {
      bob.edit(file, 0, 0, `${i}\n`);
      made.push(bob.flush()!);
    }
    // Newest first: each waits for the one before; the buffer holds two.
    for (const c of made.slice(1).reverse()) owner.receive(c.bytes);
    const evicted = made[3]!.id;
    assert.ok(!owner.has(evicted));
    assert.ok(owner.wanted().includes(evicted), 'an evicted commit is not asked for again');
    for (const c of made) owner.receive(c.bytes);
    assert.equal(owner.text(file), '3\n2\n1\n0\nstart\n');
    assert.ok(!owner.wanted().includes(evicted));
  });
});
