/**
 * The overlay's messages in bytes: every kind round-trips; bytes beyond the bounds are
 * an OversizedMessageError, garbage a MalformedMessageError (never another error), and a
 * node that receives either bans the sender; a well-framed message of a tag it does not
 * know (a newer node's) is an UnsupportedMessageError, dropped without a ban, and a known
 * tag is read whatever the version says.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeOverlayMessage,
  encodeOverlayMessage,
  MalformedMessageError,
  OverlayNode,
  OVERLAY_KIND,
  OversizedMessageError,
  Profile,
  UnsupportedMessageError,
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

  it('refuses any corruption with a typed error: malformed or oversized, unsupported only for a newer tag (property)', () => {
    const encoded = samples.map(encodeOverlayMessage);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: encoded.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (which, at, byte, cut) => {
        const original = encoded[which] ?? new Uint8Array();
        const bytes = cut ? original.subarray(0, at % original.length) : original.slice();
        if (!cut) bytes[at % bytes.length] = byte;
        try {
          decodeOverlayMessage(bytes);
        } catch (err) {
          // Unsupported only for what a newer node may send: the right kind, a version, a tag beyond this node's.
          const newer = bytes[0] === OVERLAY_KIND && (bytes[1] ?? 0) >= 1 && (bytes[2] ?? 0) > samples.length + 1;
          if (newer) assert.ok(err instanceof UnsupportedMessageError, String(err));
          else assert.ok(err instanceof MalformedMessageError || err instanceof OversizedMessageError, String(err));
        }
      }),
    );
  });

  it('a node that receives garbage bans its sender', () => {
    const fine = encodeOverlayMessage({ kind: 'ring-request', topic: 't', ids: [], subscribed: true });
    const oversized = new Uint8Array(400_000);
    oversized.set([OVERLAY_KIND, 1, 200]);
    const junk: Array<[string, Uint8Array]> = [
      ['a bad count', new Uint8Array([OVERLAY_KIND, 1, 1, 0xff, 0xff])],
      ['trailing bytes', new Uint8Array([...fine, 0])],
      ['version 0', new Uint8Array([OVERLAY_KIND, 0, 1, 0])],
      ['tag 0', new Uint8Array([OVERLAY_KIND, 1, 0])],
      ['another kind', new Uint8Array([0x43, 1, 1, 0])],
      ['a cut header', new Uint8Array([OVERLAY_KIND, 1])],
      ['an unknown tag over the size limit', oversized],
    ];
    for (const [what, bytes] of junk) {
      const node = new OverlayNode('me', ['t'], prng(2));
      const step = node.receiveBytes('junk', bytes, 1);
      assert.ok(step.rejected instanceof MalformedMessageError || step.rejected instanceof OversizedMessageError, `${what}: ${String(step.rejected)}`);
      assert.ok(node.guard.isBanned('junk'), what);
      assert.deepEqual(node.receiveBytes('junk', fine, 2), { send: [] });
      assert.equal(node.receiveBytes('friend', fine, 2).send.length, 1);
    }
  });

  it('drops a message of a tag it does not know (from a newer node) without banning its sender, and handles its later messages', () => {
    const node = new OverlayNode('me', ['t'], prng(3));
    // Tag 11 with a body this node cannot read, from a node that speaks format 2.
    const newer = node.receiveBytes('newer', new Uint8Array([OVERLAY_KIND, 2, 11, 5, 1, 2, 3, 4, 5]), 1);
    assert.ok(newer.dropped instanceof UnsupportedMessageError, String(newer.dropped));
    assert.equal(newer.dropped.tag, 11);
    assert.equal(newer.rejected, undefined);
    assert.deepEqual(newer.send, []);
    assert.ok(!node.guard.isBanned('newer'));
    const ring = encodeOverlayMessage({ kind: 'ring-request', topic: 't', ids: [], subscribed: true });
    assert.equal(node.receiveBytes('newer', ring, 1).send[0]?.message.kind, 'ring-response', 'its next message is handled');
    // A known tag is read whatever version the sender speaks (a tag's body never changes).
    const shuffle = encodeOverlayMessage({ kind: 'cyclon-request', descriptors: [{ id: 'newer', age: 0, profile: exact }] });
    shuffle[1] = 7;
    const answered = node.receiveBytes('newer', shuffle, 2);
    assert.equal(answered.send[0]?.message.kind, 'cyclon-response');
    assert.ok(node.cyclon.has('newer'));
  });
});
