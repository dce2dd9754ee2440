/**
 * VICINITY keeps the MOST similar peers (the reference implementation sorted ascending and
 * kept the least similar: this test fails on that), and profiles are sized to the
 * subscription count and compare across sizes.
 */
import assert from 'node:assert/strict';
import { Profile, similarity, topicBits, topicKey, Vicinity, type Descriptor } from '../../../protocol/src/overlay/index.js';
import { prng } from '../../../protocol/sim/prng.js';

const profileOf = (topics: readonly string[]) => Profile.fromTopics(topics.map(topicKey));
const topics = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `t${from + i}`);

describe('overlay: subscription profiles', () => {
  it('are sized to the subscription count (a power of two, >= 64 bits)', () => {
    assert.equal(profileOf(topics(0, 3)).size, 64);
    assert.equal(profileOf(topics(0, 20)).size, 256);
    assert.equal(profileOf(topics(0, 500)).size, 8192);
  });

  it('have no false negatives, and a filter folded to a smaller size is that size\'s filter', () => {
    const big = profileOf(topics(0, 100));
    for (const t of topics(0, 100)) assert.ok(big.mightContain(topicKey(t)));
    const folded = new Profile(big.foldTo(256), big.hashes);
    for (const t of topics(0, 100)) assert.ok(folded.mightContain(topicKey(t)));
  });

  it('similarity is 1 for the same topics, ordered by overlap, and compares different sizes', () => {
    const a = profileOf(topics(0, 10));
    assert.equal(similarity(a, profileOf(topics(0, 10))), 1);
    assert.ok(similarity(a, profileOf(topics(0, 8))) > similarity(a, profileOf(topics(5, 15))));
    assert.ok(similarity(a, profileOf(topics(5, 15))) > similarity(a, profileOf(topics(100, 110))));
    assert.ok(similarity(a, profileOf(topics(0, 200))) > similarity(a, profileOf(topics(100, 300))));
  });
});

describe('overlay: VICINITY', () => {
  it('keeps the MOST similar peers of everything it hears, once no topic wants a neighbour', () => {
    const mine = profileOf(topics(0, 10));
    const self = (): Descriptor => ({ id: 'me', age: 0, profile: mine });
    const nothingWanted = () => new Uint32Array(mine.words.length);
    const vicinity = new Vicinity(self, prng(1), { viewSize: 3 }, undefined, nothingWanted);
    // Peer pN shares N of my 10 topics.
    const peers: Descriptor[] = Array.from({ length: 11 }, (_, n) => ({ id: `p${n}`, age: 0, profile: profileOf([...topics(0, n), ...topics(100 + 10 * n, 110 + 10 * n - n)]) }));
    vicinity.complete(peers.slice(0, 6), []);
    vicinity.complete(peers.slice(6), peers.slice(0, 3));
    assert.deepEqual(vicinity.peers().map((d) => d.id).sort(), ['p10', 'p8', 'p9']);
  });

  it('answers a requester with what is most similar to the requester, and its own descriptor among them', () => {
    const mine = profileOf(topics(0, 10));
    const vicinity = new Vicinity(() => ({ id: 'me', age: 0, profile: mine }), prng(2), { viewSize: 4, exchangeLength: 2 });
    const near = { id: 'near', age: 0, profile: profileOf(topics(5, 15)) };
    const far = { id: 'far', age: 0, profile: profileOf(topics(200, 210)) };
    const requester = { id: 'r', age: 0, profile: profileOf(topics(5, 15)) };
    const reply = vicinity.answer('r', [requester], [near, far]);
    assert.deepEqual(reply.map((d) => d.id), ['near', 'me']);
  });

  it('gossips with its oldest neighbour', () => {
    const vicinity = new Vicinity(() => ({ id: 'me', age: 0, profile: profileOf(topics(0, 5)) }), prng(3), { viewSize: 4 });
    vicinity.complete(
      [
        { id: 'young', age: 1, profile: profileOf(topics(0, 5)) },
        { id: 'old', age: 9, profile: profileOf(topics(0, 4)) },
      ],
      [],
    );
    assert.equal(vicinity.gossip([])?.to, 'old');
  });

  // PolderCast's VICINITY favours the topics a node has fewest neighbours for. Ranked by
  // whole-profile similarity, a peer sharing only a rare topic lost to peers sharing
  // several popular ones, and the rare topic's ring stayed empty.
  const popular = topics(0, 4);
  const rare = 'rare';

  it('keeps a peer that shares a topic no other peer shares, over peers more similar', () => {
    const mine = profileOf([...popular, rare]);
    const vicinity = new Vicinity(() => ({ id: 'me', age: 0, profile: mine }), prng(4), { viewSize: 3 });
    const alike = Array.from({ length: 6 }, (_, i) => ({ id: `alike${i}`, age: 0, profile: profileOf([...popular, `other${i}`]) }));
    const sharer = { id: 'sharer', age: 0, profile: profileOf([rare, ...topics(500, 508)]) };
    vicinity.complete([...alike, sharer], []);
    assert.ok(vicinity.peers().some((d) => d.id === 'sharer'), vicinity.peers().map((d) => d.id).join());
  });

  it('favours the topics whose rings are not filled', () => {
    const mine = profileOf(['a', 'b']);
    const onlyB = topicBits([topicKey('b')], mine.size, mine.hashes);
    const vicinity = new Vicinity(() => ({ id: 'me', age: 0, profile: mine }), prng(5), { viewSize: 1 }, undefined, () => onlyB);
    vicinity.complete([{ id: 'has-a', age: 0, profile: profileOf(['a']) }, { id: 'has-b', age: 0, profile: profileOf(['b', 'c', 'd']) }], []);
    assert.deepEqual(vicinity.peers().map((d) => d.id), ['has-b']);
  });

  it('sends a requester the peer that shares its rare topic, over peers more similar to it', () => {
    const vicinity = new Vicinity(() => ({ id: 'me', age: 0, profile: profileOf(topics(900, 905)) }), prng(6), { viewSize: 10, exchangeLength: 3 });
    const requester = { id: 'r', age: 0, profile: profileOf([...popular, rare]) };
    const alike = Array.from({ length: 6 }, (_, i) => ({ id: `alike${i}`, age: 0, profile: profileOf([...popular, `other${i}`]) }));
    const sharer = { id: 'sharer', age: 0, profile: profileOf([rare, ...topics(500, 508)]) };
    const reply = vicinity.answer('r', [requester], [...alike, sharer]);
    assert.ok(reply.some((d) => d.id === 'sharer'), reply.map((d) => d.id).join());
  });
});
