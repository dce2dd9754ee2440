/**
 * Joining through a bootstrap node: once connected, a new node asks it for its descriptor
 * and some of its views (descriptor-request / descriptor-response), so that it knows the
 * bootstrap node's real profile and the carriers of its topics, and is in its topics'
 * rings after one gossip period. The exchange is bounded and guarded like all gossip.
 */
import assert from 'node:assert/strict';
import { MalformedMessageError, OverlayNode, OversizedMessageError, Profile, topicKey, type Descriptor, type OverlayMessage, type Outgoing } from '../../../protocol/src/overlay/index.js';
import { prng } from '../../../protocol/sim/prng.js';

const placeholder = (id: string): Descriptor => ({ id, age: 0, profile: Profile.fromTopics([]) });
const d = (id: string, topics: string[]): Descriptor => ({ id, age: 0, profile: Profile.fromTopics(topics.map(topicKey)) });

/** Delivers messages among `nodes` (answers included) until none is left or `limit` were delivered. */
function deliver(nodes: Map<string, OverlayNode>, from: string, out: readonly Outgoing[], limit = 200): void {
  const queue = out.map((o) => ({ from, o }));
  for (let n = 0; queue.length > 0 && n < limit; n++) {
    const next = queue.shift();
    const target = next && nodes.get(next.o.to);
    if (!next || !target) continue;
    for (const o of target.receive(next.from, next.o.message, 1).send) queue.push({ from: target.id, o });
  }
}

describe('overlay: joining through a bootstrap node', () => {
  it('the answer brings the bootstrap node first with its real profile, and the asker is in its topic ring after one period', () => {
    const nodes = new Map<string, OverlayNode>();
    const add = (id: string, topics: string[]): OverlayNode => {
      const node = new OverlayNode(id, topics, prng(id.length + id.charCodeAt(0)));
      nodes.set(id, node);
      return node;
    };
    const boot = add('b', ['t', 'u']);
    const others = ['c', 'e', 'g', 'k'].map((id) => add(id, ['t']));
    boot.bootstrap(others.map((o) => d(o.id, ['t'])));
    for (const o of others) o.bootstrap([d('b', ['t', 'u'])]);
    const newcomer = add('f', ['t']);
    newcomer.bootstrap([placeholder('b')]);

    const ask = newcomer.askDescriptor('b');
    assert.deepEqual(ask.message, { kind: 'descriptor-request', descriptors: [newcomer.descriptor()] });
    const answer = boot.receive('f', ask.message, 1).send[0];
    assert.ok(answer && answer.message.kind === 'descriptor-response', 'answered');
    const descriptors = answer.message.kind === 'descriptor-response' ? answer.message.descriptors : [];
    assert.equal(descriptors[0]?.id, 'b', 'its own descriptor first');
    assert.ok(descriptors[0]?.profile.mightContain(topicKey('t')), 'with its real profile');
    assert.ok(descriptors.length <= 32 && descriptors.length > 1, `some of its views: ${descriptors.length}`);
    assert.ok(!descriptors.some((x) => x.id === 'f'), 'not the asker itself');

    newcomer.receive('b', answer.message, 1);
    const known = newcomer.cyclon.peers();
    assert.ok(known.find((x) => x.id === 'b')?.profile.mightContain(topicKey('t')), 'the stand-in descriptor was replaced by the real one');
    assert.ok(known.length > 1 && newcomer.vicinity.peers().length > 0, 'views seeded from the answer');

    deliver(nodes, 'f', newcomer.tick());
    const ring = newcomer.rings.ring('t');
    assert.ok(ring && ring.successors.length > 0 && ring.predecessors.length > 0, `in the ring after one period: ${JSON.stringify(ring)}`);
  });

  it('an answer that is malformed, oversized or not its sender first bans the sender; an unasked one is ignored', () => {
    const node = new OverlayNode('me', ['t'], prng(3));
    const respond = (from: string, descriptors: Descriptor[]): OverlayMessage => ({ kind: 'descriptor-response', descriptors });

    const unasked = node.receive('x', respond('x', [d('x', ['t'])]), 1);
    assert.deepEqual(unasked, { send: [] });
    assert.ok(!node.cyclon.has('x') && !node.guard.isBanned('x'), 'ignored, state unchanged');

    node.askDescriptor('liar');
    const liar = node.receive('liar', respond('liar', [d('someone', ['t']), d('liar', ['t'])]), 1);
    assert.ok(liar.rejected instanceof MalformedMessageError && node.guard.isBanned('liar'));
    assert.ok(!node.cyclon.has('someone'), 'nothing of it taken');

    node.askDescriptor('big');
    const big = node.receive('big', respond('big', Array.from({ length: 33 }, (_, i) => d(i === 0 ? 'big' : `n${i}`, ['t']))), 1);
    assert.ok(big.rejected instanceof OversizedMessageError && node.guard.isBanned('big'));

    node.askDescriptor('empty');
    assert.ok(node.receive('empty', respond('empty', []), 1).rejected instanceof MalformedMessageError);

    const two = node.receive('r', { kind: 'descriptor-request', descriptors: [d('r', ['t']), d('s', ['t'])] }, 1);
    assert.ok(two.rejected instanceof MalformedMessageError, 'a request carries its sender only');
    const other = node.receive('q', { kind: 'descriptor-request', descriptors: [d('s', ['t'])] }, 1);
    assert.ok(other.rejected instanceof MalformedMessageError, "a request carries its sender's own descriptor");
  });

  it('is counted against the gossip rate like shuffles', () => {
    const node = new OverlayNode('me', ['t'], prng(4), { guard: { maxGossipPerRound: 3 } });
    const ask: OverlayMessage = { kind: 'descriptor-request', descriptors: [d('asker', ['t'])] };
    for (let i = 0; i < 3; i++) assert.equal(node.receive('asker', ask, 1).rejected, undefined);
    assert.equal(node.receive('asker', ask, 1).rejected?.name, 'FloodingError');
  });
});
