/**
 * RELAYREQ (issue 19): a broker lets a peer reserve a relay slot only with a topic
 * signature, naming that peer, of a topic the broker carries.
 */
import assert from 'node:assert/strict';
import { generateSigningKeyPair, sign, toHex } from '../../../protocol/src/crypto/index.js';
import { relaySignedBytes, type WireMessage } from '../../../protocol/src/multicast/wire.js';
import { Driver, makeStream, types, type Stream } from './helpers.js';

function relayReq(stream: Stream, requester: Uint8Array): WireMessage {
  return { type: 'relayreq', topic: stream.topic, signature: sign(stream.topicKey.secretKey, relaySignedBytes(stream.topic, requester)) };
}

describe('broker/relay requests (issue 19)', () => {
  const stream = makeStream(2);
  const peer = generateSigningKeyPair().publicKey;
  const source = { peer: toHex(peer) };

  it('grants a peer that signs with the key of a topic stored here', () => {
    const d = new Driver();
    d.connect('a', { source });
    d.send('a', { type: 'event', commit: stream.commits[0]! });
    d.take('a');
    d.send('a', relayReq(stream, peer));
    assert.deepEqual(d.relay.map((r) => [r.channel, r.peer, r.granted]), [['a', toHex(peer), true]]);
    assert.deepEqual(d.take('a'), []);
  });

  it('refuses a signature made for another peer (replayed), with a reason and an ERROR', () => {
    const d = new Driver();
    d.connect('a', { source });
    d.send('a', { type: 'event', commit: stream.commits[0]! });
    d.take('a');
    d.send('a', relayReq(stream, generateSigningKeyPair().publicKey));
    assert.equal(d.relay.length, 1);
    assert.equal(d.relay[0]!.granted, false);
    assert.match(d.relay[0]!.reason, /not signed by the topic key/);
    assert.deepEqual(types(d.take('a')), ['error:bad-signature']);
  });

  it('a valid request for a topic not stored yet waits until the topic is', () => {
    const d = new Driver();
    d.connect('a', { source });
    d.take('a');
    d.send('a', relayReq(stream, peer));
    assert.equal(d.relay.length, 0, 'undecided while the broker carries nothing of the topic');
    d.send('a', { type: 'event', commit: stream.commits[0]! });
    assert.deepEqual(d.relay.map((r) => r.granted), [true]);
  });

  it('refuses in allowlist mode for a topic not listed, and on a peer-broker channel', () => {
    const d = new Driver({ policy: 'allowlist', allowlist: [] });
    d.connect('a', { source });
    d.take('a');
    d.send('a', relayReq(stream, peer));
    assert.deepEqual(d.relay.map((r) => r.granted), [false]);
    assert.deepEqual(types(d.take('a')), ['error:unknown-topic']);
    const listed = new Driver({ policy: 'allowlist', allowlist: [stream.topic] });
    listed.connect('a', { source });
    listed.send('a', relayReq(stream, peer));
    assert.deepEqual(listed.relay.map((r) => r.granted), [true], 'a listed topic is carried before any event');
    listed.connect('b', { peerBroker: true });
    listed.send('b', relayReq(stream, peer));
    assert.deepEqual(listed.relay.map((r) => r.granted), [true, false]);
  });
});
