/** Presence: codec round trip, seal/open, membership and signature checks, replays, expiry. */
import assert from 'node:assert/strict';
import { concatBytes } from '../../../protocol/src/codec/bytes.js';
import { DecodeError } from '../../../protocol/src/codec/errors.js';
import { encrypt, sign, toHex } from '../../../protocol/src/crypto/index.js';
import { decodePresence, encodePresence, MAX_PRESENCE_ADDRESSES, openPresence, PresenceError, PresenceTable, sealPresence, type Presence } from '../../../protocol/src/multicast/presence.js';
import { keyFor } from '../share/harness.js';
import { presenceSamples } from './presence-samples.js';

const topic = new Uint8Array(32).fill(5);
const key = new Uint8Array(32).fill(6);
const alice = keyFor('alice');
const mallory = keyFor('mallory');

function presence(counter: number, extra: Partial<Presence> = {}): Presence {
  return {
    member: alice.publicKey,
    name: 'Alice',
    file: 'src/a.ts',
    selections: [{ anchor: { id: { agent: 'abcd', seq: 3 }, bias: 'after' }, head: { id: null, bias: 'after' } }],
    counter,
    leaving: false,
    ...extra,
  };
}

describe('multicast/presence', () => {
  it('round-trips every sample through encode/decode', () => {
    for (const bytes of presenceSamples()) {
      const d = decodePresence(bytes);
      assert.deepEqual(encodePresence(d.presence, keyFor(d.presence.name), topic), bytes);
    }
  });

  it('seals with the epoch key and opens only for members, with a valid signature', () => {
    const sealed = sealPresence(presence(1), alice, { topic, key });
    const isMember = (h: string) => h === toHex(alice.publicKey);
    assert.deepEqual(openPresence(sealed, topic, key, isMember), presence(1));
    assert.throws(() => openPresence(sealed, topic, new Uint8Array(32), isMember), (e: unknown) => e instanceof PresenceError && e.reason === 'undecryptable');
    assert.throws(() => openPresence(sealed, topic, key, () => false), (e: unknown) => e instanceof PresenceError && e.reason === 'not-a-member');
    // Mallory signs a presence claiming to be Alice.
    const forged = sealPresence(presence(2), { publicKey: alice.publicKey, secretKey: mallory.secretKey }, { topic, key });
    assert.throws(() => openPresence(forged, topic, key, isMember), (e: unknown) => e instanceof PresenceError && e.reason === 'bad-signature');
    // Moved to another topic: the AAD no longer matches.
    assert.throws(() => openPresence(sealed, new Uint8Array(32).fill(9), key, isMember), PresenceError);
  });

  it('carries the member\'s dialable addresses (relayed ones too), signed like the rest', () => {
    const relayed = '/ip4/203.0.113.1/tcp/4001/p2p/12D3KooWBroker/p2p-circuit/p2p/12D3KooWAlice';
    const p = presence(7, { addrs: ['/ip4/10.0.1.2/tcp/4100/p2p/12D3KooWAlice', relayed] });
    const isMember = (h: string) => h === toHex(alice.publicKey);
    assert.deepEqual(openPresence(sealPresence(p, alice, { topic, key }), topic, key, isMember), p);
    // The sender refuses to say too much.
    assert.throws(() => encodePresence(presence(8, { addrs: Array.from({ length: MAX_PRESENCE_ADDRESSES + 1 }, () => relayed) }), alice, topic), RangeError);
    assert.throws(() => encodePresence(presence(8, { addrs: [`/ip4/10.0.0.1/p2p/${'x'.repeat(300)}`] }), alice, topic), RangeError);
    // A receiver gets a typed error for an address that is no multiaddr text, even signed.
    const good = encodePresence(presence(9, { addrs: ['/p2p/AAAA'] }), alice, topic);
    const body = good.slice(0, good.length - 64);
    const at = body.lastIndexOf(0x41);
    body[at] = 0x20; // a space inside the address
    const resigned = concatBytes([body, sign(alice.secretKey, concatBytes([new TextEncoder().encode('weft/presence/1'), topic, body]))]);
    assert.throws(() => openPresence(encrypt(key, resigned, topic), topic, key, isMember), (e: unknown) => e instanceof PresenceError && e.reason === 'bad-address');
    // Nine addresses do not decode (the count is bounded before anything is read).
    const nine = good.slice();
    nine[body.length - 1 - '/p2p/AAAA'.length - 1] = MAX_PRESENCE_ADDRESSES + 1;
    assert.throws(() => decodePresence(nine), DecodeError);
  });

  it('the table drops replays, applies leaving, and expires after the TTL', () => {
    const t = new PresenceTable(30_000);
    assert.equal(t.apply(presence(2), 0), true);
    assert.equal(t.apply(presence(2), 1), false);
    assert.equal(t.apply(presence(1), 1), false);
    assert.equal(t.list().length, 1);
    assert.equal(t.nextExpiry(), 30_000);
    assert.deepEqual(t.expire(29_999), []);
    assert.equal(t.apply(presence(3), 10_000), true);
    assert.deepEqual(t.expire(30_000), []);
    assert.deepEqual(t.expire(40_000), [toHex(alice.publicKey)]);
    assert.equal(t.apply(presence(4), 41_000), true);
    assert.equal(t.apply(presence(5, { leaving: true }), 41_001), true);
    assert.equal(t.list().length, 0);
  });
});
