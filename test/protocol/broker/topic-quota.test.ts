import assert from 'node:assert/strict';
import { generateSigningKeyPair, randomBytes } from '../../../protocol/src/crypto/index.js';
import { createCommit } from '../../../protocol/src/log/commit.js';
import { Broker, NewTopicQuota, addressGroup, emptyOutput, type BrokerOutput, type ChannelId } from '../../../protocol/src/broker/index.js';
import { decodeWire, encodeWire, type WireMessage } from '../../../protocol/src/multicast/wire.js';

const HOUR = 3600_000;

function outsiderEvent(): Uint8Array {
  return createCommit({ topic: generateSigningKeyPair(), epochKey: randomBytes(32), author: generateSigningKeyPair(), deps: [], payload: randomBytes(16) }).bytes;
}

/** Publishes one new topic's first event on `channel`; the answer (ack once stored, or error). */
function publishNewTopic(broker: Broker, channel: ChannelId, now: number): WireMessage {
  const out: BrokerOutput = emptyOutput();
  const first = broker.receive(channel, encodeWire({ type: 'event', commit: outsiderEvent() }), now);
  out.send.push(...first.send);
  for (const req of first.store) out.send.push(...broker.stored(req.id, now).send);
  const answers = out.send.filter((s) => s.to === channel).map((s) => decodeWire(s.frame));
  return answers.find((m) => m.type === 'ack' || m.type === 'error')!;
}

describe('broker/new-topic quotas per source', () => {
  it('an address counts as itself (IPv4) or by its /64 (IPv6)', () => {
    assert.equal(addressGroup('203.0.113.7'), '203.0.113.7');
    assert.equal(addressGroup('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressGroup('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('::1'), '0:0:0:0::/64');
    assert.equal(addressGroup('2001:0db8::'), '2001:db8:0:0::/64');
  });

  it('a peer key and an address each get their quota at once, then as many per hour; the reason names the limit', () => {
    const q = new NewTopicQuota({ newTopicsPerPeer: 2, newTopicsPerAddress: 3 });
    const a = { peer: 'aa', address: '198.51.100.1' };
    assert.equal(q.take(a, 0), undefined);
    assert.equal(q.take(a, 0), undefined);
    assert.match(q.take(a, 0)!, /^new topics per peer: .* at most 2 at once and as many per hour/);
    const b = { peer: 'bb', address: '198.51.100.1' };
    assert.equal(q.take(b, 0), undefined);
    assert.match(q.take(b, 0)!, /^new topics per address: 198\.51\.100\.1 .* at most 3 at once/);
    // another address is unaffected; the quota refills over the hour
    assert.equal(q.take({ peer: 'cc', address: '198.51.100.2' }, 0), undefined);
    assert.equal(q.take(b, HOUR / 3 + 1), undefined);
  });

  it('a flood from one source fills its quota, not the broker: a new share from elsewhere is stored; peer brokers we dialled are exempt', () => {
    const broker = new Broker({ limits: { maxTopics: 20, newTopicsPerPeer: 4, newTopicsPerAddress: 8 } });
    let stored = 0;
    const refusals = new Set<string>();
    for (let conn = 0; conn < 5; conn++) {
      const id = `evil${conn}` as ChannelId;
      broker.connect(id, 0, { source: { peer: `evil-key-${conn}`, address: '192.0.2.66' } });
      for (let i = 0; i < 6; i++) {
        const m = publishNewTopic(broker, id, 0);
        if (m.type === 'ack') stored++;
        else if (m.type === 'error') refusals.add(`${m.code}: ${m.reason.split(':')[0]}`);
      }
    }
    assert.equal(stored, 8, 'the address stored its quota');
    assert.deepEqual([...refusals].sort(), ['quota: new topics per address', 'quota: new topics per peer']);
    broker.connect('honest' as ChannelId, 0, { source: { peer: 'honest-key', address: '192.0.2.10' } });
    assert.equal(publishNewTopic(broker, 'honest' as ChannelId, 0).type, 'ack');
    broker.connect('mesh' as ChannelId, 0, { peerBroker: true, source: { peer: 'mesh-key', address: '192.0.2.66' } });
    for (let i = 0; i < 6; i++) assert.equal(publishNewTopic(broker, 'mesh' as ChannelId, 0).type, 'ack');
  });
});
