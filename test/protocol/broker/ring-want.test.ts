/**
 * A member's WANT repaired across the ring (docs/OVERLAY.md, "Brokers use it"): the
 * member's broker asks its ring neighbours for what it lacks over the ring links, at once
 * (not at the next periodic sync of the link), bounded, with no loop, and refuses an
 * answer it did not ask for.
 */
import assert from 'node:assert/strict';
import type { BrokerInit, ChannelId } from '../../../protocol/src/broker/index.js';
import { MAX_RING_ASKS, RING_ASK_MS, RING_ASKS_PER_SECOND } from '../../../protocol/src/broker/ring-wants.js';
import { decodeCommitEnvelope } from '../../../protocol/src/log/commit.js';
import { commitIdFromBytes, type CommitId } from '../../../protocol/src/log/ids.js';
import { encodeWire, type WireMessage } from '../../../protocol/src/multicast/wire.js';
import { Driver, makeStream, types, type Stream } from './helpers.js';

const idOf = (commit: Uint8Array): CommitId => decodeCommitEnvelope(commit).id;

/** A broker whose member `m` carries the stream's topic, linked to a ring neighbour on `link` for it. */
function memberBroker(stream: Stream, held: number, init: BrokerInit = {}): Driver {
  const d = new Driver(init);
  d.connect('m');
  d.send('m', { type: 'subscribe', topics: [stream.topic] });
  for (const c of stream.commits.slice(0, held)) d.send('m', { type: 'event', commit: c });
  d.inbox.set('link', []);
  d.apply(d.broker.connect('link' as ChannelId, d.now, { ringLink: true }));
  d.apply(d.broker.ringLink('link' as ChannelId, stream.topic, d.now));
  d.take('m');
  d.take('link'); // the link's SUBSCRIBE and sync opening: never answered in these tests
  return d;
}

/** The ring neighbour: holds the whole stream, its link to the member's broker on `link`. */
function neighbour(stream: Stream): Driver {
  const d = new Driver();
  d.connect('writer');
  for (const c of stream.commits) d.send('writer', { type: 'event', commit: c });
  d.inbox.set('link', []);
  d.apply(d.broker.connect('link' as ChannelId, d.now, { ringLink: true }));
  d.apply(d.broker.ringLink('link' as ChannelId, stream.topic, d.now));
  d.take('link');
  return d;
}

/** Hands what `from` sent on its ring link to `to`'s ring link; returns the messages. */
function relay(from: Driver, to: Driver): WireMessage[] {
  const sent = from.take('link');
  for (const m of sent) to.send('link', m);
  return sent;
}

const events = (ms: WireMessage[]): CommitId[] => ms.flatMap((m) => (m.type === 'event' ? [idOf(m.commit)] : []));
const wants = (ms: WireMessage[]): CommitId[][] => ms.flatMap((m) => (m.type === 'want' ? [m.ids] : []));

describe('broker: a member\'s WANT repaired across the ring', () => {
  it('asks the ring neighbours for what it lacks at once and delivers it to every member that waited', () => {
    const s = makeStream(4, 'ring-want.md');
    const mine = memberBroker(s, 2);
    const other = neighbour(s);
    const lacking = [idOf(s.commits[2]!), idOf(s.commits[3]!)];
    mine.connect('w'); // a member that wants without subscribing
    mine.send('w', { type: 'want', topic: s.topic, ids: lacking });
    mine.send('m', { type: 'want', topic: s.topic, ids: [...lacking, idOf(s.commits[0]!)] });
    assert.deepEqual(events(mine.take('m')), [idOf(s.commits[0]!)], 'what it holds is answered from its store');
    assert.deepEqual(wants(mine.inbox.get('link') ?? []), [lacking], 'one ask per id, though two members wanted them');
    relay(mine, other);
    assert.deepEqual(wants(other.inbox.get('link') ?? []), [], 'the neighbour answers from its store and asks nobody');
    assert.deepEqual(events(relay(other, mine)), lacking);
    assert.deepEqual(events(mine.take('m')), lacking);
    assert.deepEqual(events(mine.take('w')), lacking);
    for (const id of lacking) assert.ok(mine.broker.hasCommit(s.topic, id));
    assert.deepEqual(types(mine.take('link')).filter((t) => t !== 'sync'), [], 'no ERROR for the answers, no ACK back either (new heads only)');
    assert.equal(mine.broker.ringAsksOutstanding(), 0);
  });

  it('a second neighbour\'s answer to the same ask is dropped quietly, not refused', () => {
    const s = makeStream(3, 'two-sides.md');
    const mine = memberBroker(s, 2);
    mine.inbox.set('link2', []);
    mine.apply(mine.broker.connect('link2' as ChannelId, mine.now, { ringLink: true }));
    mine.apply(mine.broker.ringLink('link2' as ChannelId, s.topic, mine.now));
    mine.take('link2');
    mine.send('m', { type: 'want', topic: s.topic, ids: [idOf(s.commits[2]!)] });
    assert.equal(wants(mine.take('link')).length, 1);
    assert.equal(wants(mine.take('link2')).length, 1, 'both sides of the ring are asked');
    mine.send('link', { type: 'event', commit: s.commits[2]! });
    mine.send('link2', { type: 'event', commit: s.commits[2]! });
    assert.deepEqual(events(mine.take('m')), [idOf(s.commits[2]!)]);
    assert.deepEqual(types([...mine.take('link'), ...mine.take('link2')]).filter((t) => t !== 'sync'), []);
  });

  it('duplicates a ring neighbour sends cost its rate like anyone\'s: a flood of them is rate-limited', () => {
    const s = makeStream(2, 'dup-flood.md');
    const mine = memberBroker(s, 2, { limits: { messagesPerSecond: 10 } });
    for (let i = 0; i < 100; i++) mine.send('link', { type: 'event', commit: s.commits[1]! });
    const replies = types(mine.take('link'));
    assert.ok(replies.includes('error:rate-limited'), replies.join());
    assert.equal(replies.includes('ack'), false, 'a ring link is never acknowledged');
  });

  it('a WANT for an id nobody has is asked once per ask period, never forwarded further, and its state is bounded', () => {
    const s = makeStream(2, 'nobody.md');
    const mine = memberBroker(s, 2);
    const other = neighbour(s);
    const ghost = commitIdFromBytes(new Uint8Array(32).fill(7));
    for (let i = 0; i < 50; i++) mine.send('m', { type: 'want', topic: s.topic, ids: [ghost] });
    assert.deepEqual(wants(mine.inbox.get('link') ?? []), [[ghost]]);
    relay(mine, other);
    assert.deepEqual(other.take('link'), [], 'the neighbour has nothing to answer and asks no one');
    // Its own member's WANT for the ghost would be asked of its ring; the link's is not.
    other.send('link', { type: 'want', topic: s.topic, ids: [ghost] });
    assert.deepEqual(wants(other.take('link')), []);
    mine.now += RING_ASK_MS;
    mine.send('m', { type: 'want', topic: s.topic, ids: [ghost] });
    assert.deepEqual(wants(mine.take('link')), [[ghost]], 'asked again once the ask expired');

    // A flood of made-up ids from many members: asks per second and outstanding are capped.
    let asked = 0;
    for (let second = 0; second < 40; second++) {
      mine.now += 1000;
      for (let k = 0; k < 4; k++) {
        const member = `flood${second}-${k}`;
        mine.connect(member);
        const ids = Array.from({ length: 256 }, (_, i) => commitIdFromBytes(new Uint8Array(32).fill(0).map((_, j) => (j === 0 ? second : j === 1 ? k : j === 2 ? i : 1))));
        mine.send(member, { type: 'want', topic: s.topic, ids });
      }
      asked += wants(mine.take('link')).reduce((a, ids) => a + ids.length, 0);
      assert.ok(mine.broker.ringAsksOutstanding() <= MAX_RING_ASKS);
    }
    assert.ok(asked <= RING_ASKS_PER_SECOND * (40 + 2), `asked ${asked} ids in 40 s`);
    assert.ok(asked > 0);
  });

  it('a ring neighbour answering with a forged or unrelated commit is refused with a typed ERROR, and the member gets nothing', () => {
    const s = makeStream(4, 'forged.md');
    const other = makeStream(1, 'unrelated.md');
    const mine = memberBroker(s, 2);
    const wanted = s.commits[2]!;
    mine.send('m', { type: 'want', topic: s.topic, ids: [idOf(wanted)] });
    mine.take('link');

    // Unrelated: a valid commit of the topic that was not asked for, and one of another topic.
    mine.send('link', { type: 'event', commit: s.commits[3]! });
    mine.send('link', { type: 'event', commit: other.commits[0]! });
    assert.deepEqual(types(mine.take('link')), ['error:malformed', 'error:malformed']);
    assert.equal(mine.broker.hasCommit(s.topic, idOf(s.commits[3]!)), false);
    assert.equal(mine.broker.topicSummaries().length, 1, 'no topic taken on');

    // Forged: the asked commit with its topic signature broken is another commit (another
    // id): refused as unasked. Even when a colluding member asked for that very id, the
    // signature check refuses it.
    const forged = wanted.slice();
    forged[forged.length - 1]! ^= 1;
    mine.send('link', { type: 'event', commit: forged });
    assert.deepEqual(types(mine.take('link')), ['error:malformed']);
    mine.connect('colluder');
    mine.take('colluder');
    mine.send('colluder', { type: 'want', topic: s.topic, ids: [idOf(forged)] });
    mine.take('link');
    mine.send('link', { type: 'event', commit: forged });
    assert.deepEqual(types(mine.take('link')), ['error:bad-signature']);
    assert.deepEqual(mine.take('m'), [], 'the member got nothing of it');
    assert.deepEqual(mine.take('colluder'), []);
    assert.deepEqual(mine.closed, [], 'a few refusals cost the link nothing');

    // The honest answer still gets through.
    mine.send('link', encodeWire({ type: 'event', commit: wanted }));
    assert.deepEqual(events(mine.take('m')), [idOf(wanted)]);
  });

  it('a ring link syncs every topic both brokers carry, beyond a member connection\'s subscription limit', () => {
    // A ring link between two brokers carries every topic both carry (up to maxTopics):
    // counted against a member's per-connection limit, the topics past it were refused
    // with a strike each, and about 25 of them closed the link again and again.
    const limits = { maxSubscriptionsPerChannel: 2, maxSyncSessionsPerChannel: 2 };
    const streams = [0, 1, 2, 3, 4].map((i) => makeStream(1, `many-${i}.md`));
    const d = new Driver({ limits });
    d.connect('m');
    for (const s of streams) {
      d.connect(`w${s.topic[0]}`);
      d.send(`w${s.topic[0]}`, { type: 'event', commit: s.commits[0]! });
    }
    d.inbox.set('link', []);
    d.apply(d.broker.connect('link' as ChannelId, d.now, { ringLink: true }));
    for (const s of streams) d.apply(d.broker.ringLink('link' as ChannelId, s.topic, d.now));
    d.take('link');
    for (const s of streams) d.send('link', { type: 'subscribe', topics: [s.topic] });
    const answers = d.take('link');
    assert.equal(answers.filter((m) => m.type === 'subscribed').length, streams.length, JSON.stringify(types(answers)));
    assert.deepEqual(answers.filter((m) => m.type === 'error'), []);
  });

  it('a WANT that comes before the topic has a ring link waits for the first link and is asked on it', () => {
    // A broker that has just begun to carry a share has no ring for it for a few gossip
    // periods: a member's WANT then was answered from the store only and forgotten.
    const s = makeStream(4, 'early.md');
    const mine = new Driver();
    mine.connect('m');
    mine.send('m', { type: 'subscribe', topics: [s.topic] });
    for (const c of s.commits.slice(0, 2)) mine.send('m', { type: 'event', commit: c });
    mine.take('m');
    const lacking = [idOf(s.commits[2]!), idOf(s.commits[3]!)];
    mine.send('m', { type: 'want', topic: s.topic, ids: lacking });
    assert.deepEqual(mine.broker.ringAsks(), { outstanding: 2, asked: 0 }, 'kept, not sent: no link yet');
    mine.inbox.set('link', []);
    mine.apply(mine.broker.connect('link' as ChannelId, mine.now, { ringLink: true }));
    mine.apply(mine.broker.ringLink('link' as ChannelId, s.topic, mine.now));
    assert.deepEqual(wants(mine.inbox.get('link') ?? []), [lacking], 'asked on the first link');
    assert.deepEqual(mine.broker.ringAsks(), { outstanding: 2, asked: 2 });
    const other = neighbour(s);
    relay(mine, other);
    assert.deepEqual(events(relay(other, mine)), lacking);
    assert.deepEqual(events(mine.take('m')), lacking, 'the member that waited gets them');
    assert.deepEqual(types(mine.take('link')).filter((t) => t.startsWith('error')), []);

    // One that expired before any link opened is not sent (its answer would be refused as unasked).
    const t = makeStream(2, 'late.md');
    mine.send('m', { type: 'subscribe', topics: [t.topic] });
    mine.send('m', { type: 'want', topic: t.topic, ids: [idOf(t.commits[1]!)] });
    mine.now += RING_ASK_MS;
    mine.apply(mine.broker.ringLink('link' as ChannelId, t.topic, mine.now));
    assert.deepEqual(wants(mine.take('link')), []);
  });
});
