/**
 * A node that takes on a topic after it started (a broker whose member subscribes to a new
 * share): its profile changes, it gets a ring, joins it by gossip, and events reach it.
 */
import assert from 'node:assert/strict';
import { OverlayNetwork } from '../../../protocol/sim/overlay/overlay-network.js';
import { prng } from '../../../protocol/sim/prng.js';

describe('overlay: a topic taken on later', () => {
  it('a node that carries a topic later joins its ring within 20 rounds and gets its events', () => {
    const net = new OverlayNetwork(prng(7), { nodes: 120, meanTopics: 5 });
    for (let i = 0; i < 30; i++) net.step();
    const topic = [...net.zipf.subscriptions(prng(1), 1)][0] ?? 't0';
    const subscribers = () => [...net.nodes.values()].filter((n) => n.topics.has(topic));
    const late = [...net.nodes.values()].find((n) => !n.topics.has(topic));
    assert.ok(late, 'some node does not carry the topic');
    const before = late.published;
    late.carry(topic);
    assert.ok(late.topics.has(topic));
    assert.notEqual(late.published, before, 'a new profile');
    assert.ok(late.rings.ring(topic), 'a ring for the topic');
    for (let i = 0; i < 20; i++) net.step();
    const ring = late.rings.ring(topic);
    assert.ok(ring && ring.successors.length > 0 && ring.predecessors.length > 0, `ring neighbours after 20 rounds: ${JSON.stringify(ring)}`);
    const publisher = subscribers().find((n) => n !== late);
    assert.ok(publisher);
    const r = net.disseminate(publisher, topic, 'e1', subscribers());
    assert.deepEqual(r.missed, [], `missed ${r.missed.join(', ')}`);
  });
});
