/** Presence: codec round trip, seal/open, membership and signature checks, replays, expiry. */
import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/src/crypto/index.js';
import { decodePresence, encodePresence, openPresence, PresenceError, PresenceTable, sealPresence, type Presence } from '../../../protocol/src/multicast/presence.js';
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
