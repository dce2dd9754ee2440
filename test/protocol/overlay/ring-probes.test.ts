/**
 * How a node finds the other subscribers of a rare topic: nodes whose profiles may carry
 * it, seen in passing in sampling gossip, are probed with ring gossip. Most of them are
 * Bloom false positives; the one real subscriber among them must not be dropped with them.
 */
import assert from 'node:assert/strict';
import { OverlayNode, Profile, topicKey, type Descriptor } from '../../../protocol/src/overlay/index.js';
import { prng } from '../../../protocol/sim/prng.js';

const rare = topicKey('rare');

/** A descriptor whose profile says it may carry the rare topic. */
function maybeCarrier(id: string): Descriptor {
  return { id, age: 0, profile: Profile.fromTopics([rare, topicKey(`other-${id}`)]) };
}

describe('overlay: ring probes', () => {
  it('a fellow subscriber seen in passing beside false positives is probed within 4 ring turns', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const node = new OverlayNode('m', ['rare'], prng(seed));
      // Seen in passing: an answer to a shuffle this node did not ask for is not merged into
      // its views, but its descriptors are looked at (the ids feed URPS and the probes).
      const passing = ['fp1', 'fp2', 'sub', 'fp3'].map(maybeCarrier);
      node.receive('z', { kind: 'cyclon-response', descriptors: passing }, 1);
      const probed: string[] = [];
      for (let round = 2; round <= 5; round++) {
        for (const o of node.tick()) if (o.message.kind === 'ring-request') probed.push(o.to);
        // The false positives answer that they do not carry the topic.
        for (const id of probed) if (id.startsWith('fp')) node.receive(id, { kind: 'ring-response', topic: 'rare', ids: [], subscribed: false }, round);
      }
      assert.ok(probed.includes('sub'), `seed ${seed}: probed ${probed.join(', ')}, never the subscriber`);
    }
  });
});

describe('overlay: an event from a node whose ring is still empty', () => {
  it('goes to the nodes of its views whose profiles may carry the topic, not nowhere', () => {
    const node = new OverlayNode('m', ['rare'], prng(3));
    const other = (id: string): Descriptor => ({ id, age: 0, profile: Profile.fromTopics([topicKey(`only-${id}`)]) });
    node.bootstrap([maybeCarrier('c1'), other('x1'), maybeCarrier('c2'), other('x2')]);
    assert.equal(node.rings.ring('rare')?.known().length, 0, 'the ring is empty');
    const sent = node.publish('rare', 'e1');
    assert.deepEqual(sent.map((o) => o.to).sort(), ['c1', 'c2']);
    // One that carries it relays it on its own ring and learns of the publisher.
    const carrier = new OverlayNode('c1', ['rare'], prng(4));
    const step = carrier.receive('m', sent[0]?.message ?? { kind: 'event', topic: 'rare', event: 'e1', hops: 1 }, 1);
    assert.ok(step.delivered, 'delivered at the carrier');
    assert.ok(carrier.rings.ring('rare')?.has('m'), 'the carrier now knows the publisher');
  });
});
