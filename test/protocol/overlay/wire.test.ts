/**
 * The overlay's messages in bytes: every kind round-trips; bytes beyond the bounds are
 * an OversizedMessageError, garbage a MalformedMessageError (never another error), and a
 * node that receives either bans the sender.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeOverlayMessage,
  encodeOverlayMessage,
  MalformedMessageError,
  OverlayNode,
  OversizedMessageError,
  Profile,
  randomize,
  topicKey,
  type OverlayMessage,
} from '../../../protocol/src/overlay/index.js';
import { prng } from '../../../protocol/sim/prng.js';

const exact = Profile.fromTopics(['a', 'b', 'c'].map(topicKey));
const flipped = randomize(Profile.fromTopics(Array.from({ length: 40 }, (_, i) => topicKey(`t${i}`))), 5, prng(1));

const samples: OverlayMessage[] = [
  { kind: 'cyclon-request', descriptors: [{ id: 'a', age: 0, profile: exact }, { id: 'b', age: 7, profile: flipped }] },
  { kind: 'cyclon-response', descriptors: [] },
  { kind: 'vicinity-request', descriptors: [{ id: 'é', age: 1, profile: exact }] },
  { kind: 'vicinity-response', descriptors: [{ id: 'c', age: 2, profile: flipped }] },
  { kind: 'ring-request', topic: 'topic', ids: ['x', 'y'], subscribed: true },
  { kind: 'ring-response', topic: 'topic', ids: [], subscribed: false },
  { kind: 'event', topic: 'topic', event: 'e1', hops: 4 },
  { kind: 'descriptor-request', descriptors: [{ id: 'a', age: 0, profile: exact }] },
  { kind: 'descriptor-response', descriptors: [{ id: 'b', age: 0, profile: flipped }, { id: 'c', age: 3, profile: exact }] },
];

describe('overlay: wire format', () => {
  it('round-trips every kind of message (profiles bit for bit, flip probability to 2^-32)', () => {
    for (const m of samples) {
      const back = decodeOverlayMessage(encodeOverlayMessage(m));
      assert.equal(back.kind, m.kind);
      if ('descriptors' in m && 'descriptors' in back) {
        m.descriptors.forEach((d, i) => {
          const e = back.descriptors[i];
          assert.equal(e?.id, d.id);
          assert.equal(e?.age, d.age);
          assert.deepEqual(e?.profile.words, d.profile.words);
          assert.ok(Math.abs((e?.profile.flip ?? 1) - d.profile.flip) < 1e-9);
        });
      } else assert.deepEqual(back, m);
    }
  });

  it('refuses too many ids as oversized, from the bytes', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `n${i}`);
    const bytes = encodeOverlayMessage({ kind: 'ring-request', topic: 't', ids, subscribed: true });
    assert.throws(() => decodeOverlayMessage(bytes), OversizedMessageError);
  });

  it('refuses any corruption with one of the two typed errors (property)', () => {
    const encoded = samples.map(encodeOverlayMessage);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: encoded.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (which, at, byte, cut) => {
        const original = encoded[which] ?? new Uint8Array();
        const bytes = cut ? original.subarray(0, at % original.length) : original.slice();
        if (!cut) bytes[at % bytes.length] = byte;
        try {
          decodeOverlayMessage(bytes);
        } catch (err) {
          assert.ok(err instanceof MalformedMessageError || err instanceof OversizedMessageError, String(err));
        }
      }),
    );
  });

  it('a node that receives garbage bans its sender', () => {
    const node = new OverlayNode('me', ['t'], prng(2));
    const step = node.receiveBytes('junk', new Uint8Array([0x56, 1, 99]), 1);
    assert.ok(step.rejected instanceof MalformedMessageError);
    assert.ok(node.guard.isBanned('junk'));
    const fine = encodeOverlayMessage({ kind: 'ring-request', topic: 't', ids: [], subscribed: true });
    assert.deepEqual(node.receiveBytes('junk', fine, 2), { send: [] });
    assert.equal(node.receiveBytes('friend', fine, 2).send.length, 1);
  });
});
