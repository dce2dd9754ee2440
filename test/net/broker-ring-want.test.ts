/**
 * A member's WANT crossing the ring between real `weft broker` processes (docs/OVERLAY.md,
 * "Brokers use it"; the state machine's side is test/protocol/broker/ring-want.test.ts).
 *
 * A holds a share's events before B carries it. A member subscribes at B (B now carries
 * the share, its ring forms within a few gossip periods) and another member, who does not
 * subscribe, at once WANTs three of those events from B: B lacks them and has no ring link
 * yet, so it keeps the ask and sends it on the first link to A. The second member gets
 * exactly those three (a member that does not subscribe gets only what it WANTs, so
 * without the ask it would get nothing, whatever B syncs); B's status counts the ids it
 * asked; and a share only A carries is neither asked for, stored nor ringed by B, though
 * the member wants its ids from B too.
 */
import assert from 'node:assert/strict';
import { toHex } from '../../protocol/src/crypto/index.js';
import { decodeCommitEnvelope } from '../../protocol/src/log/commit.js';
import type { CommitId } from '../../protocol/src/log/ids.js';
import { makeStream } from '../protocol/broker/helpers.js';
import { cleanedUpAfter, startBroker, statusOf, tempDir, waitFor, WireClient } from './broker-helpers.js';

const GOSSIP_MS = 500;
const GOSSIP = ['--gossip-ms', String(GOSSIP_MS)];
const idOf = (commit: Uint8Array): CommitId => decodeCommitEnvelope(commit).id;

describe('net/broker: a member\'s WANT crosses the ring', function () {
  this.timeout(240_000);
  const { dirs, clients } = cleanedUpAfter();

  it('B asks its ring neighbour A for what a member wants and B lacks; the member gets exactly that; B never takes on a share only A carries', async () => {
    const dirA = tempDir('ring-want-a');
    const dirB = tempDir('ring-want-b');
    dirs.push(dirA, dirB);
    const first = makeStream(3, 'first.md'); // synced on the link: it proves the link is up
    const second = makeStream(10, 'second.md'); // the wanted events are among these
    const onlyA = makeStream(3, 'only-a.md');
    const wanted = second.commits.slice(4, 7).map(idOf);

    const a = await startBroker(dirA, GOSSIP);
    const pubA = await WireClient.connect(a.tcp);
    clients.push(pubA);
    for (const c of [...first.commits, ...second.commits, ...onlyA.commits]) {
      await pubA.send({ type: 'event', commit: c });
      await pubA.next((m) => m.type === 'ack' && m.id === idOf(c));
    }

    const b = await startBroker(dirB, ['--bootstrap', a.tcp, ...GOSSIP]);
    const logs = (): string => `\nB:\n${b.stderr().split('\n').slice(-40).join('\n')}\nA:\n${a.stderr().split('\n').slice(-20).join('\n')}`;
    const hexOf = (t: Uint8Array): string => toHex(t);
    const storedOnB = (topic: Uint8Array): number | undefined => statusOf(dirB)?.topics.find((t) => t.topic === hexOf(topic))?.events;
    // The first share: carried by B for a member, synced from A over a ring link (the overlay works).
    const firstMember = await WireClient.connect(b.tcp);
    clients.push(firstMember);
    await firstMember.send({ type: 'subscribe', topics: [first.topic] });
    await firstMember.next((m) => m.type === 'subscribed');
    await waitFor('the first share synced from A over the ring link', () => storedOnB(first.topic) === first.commits.length, 60_000).catch((err: Error) => {
      throw new Error(err.message + logs());
    });

    // The second share: carried by B from now on (its ring with A forms in a few periods);
    // at once, a member that does not subscribe wants three of its events, and all of the
    // share only A carries.
    const secondMember = await WireClient.connect(b.tcp);
    clients.push(secondMember);
    const member = await WireClient.connect(b.tcp);
    clients.push(member);
    await secondMember.send({ type: 'subscribe', topics: [second.topic] });
    await secondMember.next((m) => m.type === 'subscribed');
    await member.send({ type: 'want', topic: second.topic, ids: wanted });
    await member.send({ type: 'want', topic: onlyA.topic, ids: onlyA.commits.map(idOf) });
    const got = new Set<CommitId>();
    const unexpected: CommitId[] = [];
    const deadline = Date.now() + 60_000;
    while (got.size < wanted.length) {
      const m = await member.next((x) => x.type === 'event', Math.max(1, deadline - Date.now())).catch(() => undefined);
      if (!m || m.type !== 'event') throw new Error(`the member got ${got.size} of ${wanted.length} wanted events${logs()}`);
      const id = idOf(m.commit);
      if (wanted.includes(id)) got.add(id);
      else unexpected.push(id);
    }
    const gotAt = Date.now();
    assert.deepEqual([...got].sort(), [...wanted].sort(), 'the member got the events it wanted');
    assert.deepEqual(unexpected, [], 'and nothing else: not the share only A carries, not events it did not want');

    // B's status, written after: the wanted events stored, the ids asked of its ring
    // counted, and nothing of the share only A carries.
    await waitFor('a status of B written after the member got its events', () => Date.parse(statusOf(dirB)?.updatedAt ?? '') > gotAt + 100, 15_000);
    const status = statusOf(dirB);
    assert.ok((storedOnB(second.topic) ?? 0) >= wanted.length, 'B holds the wanted events of the second share');
    assert.ok((status?.ringAsks.asked ?? 0) >= wanted.length, `B asked its ring for them: ${JSON.stringify(status?.ringAsks)}`);
    assert.ok(!status?.topics.some((t) => t.topic === hexOf(onlyA.topic)), 'B stores nothing of the share only A carries');
    assert.ok(status?.overlay && !(hexOf(onlyA.topic) in status.overlay.rings), 'B has no ring for it, so relays nothing of it');
    assert.deepEqual(member.drain((m) => m.type === 'event'), [], 'no late event either');
    assert.equal(await b.kill('SIGTERM'), 0);
    assert.equal(await a.kill('SIGTERM'), 0);
  });
});
