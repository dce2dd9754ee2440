/** The overlay's signed envelope: round trip, and every way it is refused (a typed error, never a crash). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeOverlayEnvelope, encodeOverlayEnvelope, OverlayEnvelopeError } from '../../../protocol/src/broker/index.js';
import { generateSigningKeyPair } from '../../../protocol/src/crypto/index.js';

const MAX = 1 << 20;

describe('broker: overlay envelope', () => {
  const me = generateSigningKeyPair();
  const other = generateSigningKeyPair();
  const envelope = {
    sender: me.publicKey,
    addresses: ['/ip4/127.0.0.1/tcp/1/p2p/x'],
    message: new Uint8Array([0x56, 1, 7, 1, 2]),
    hints: [{ id: 'weft1abc', addresses: ['/ip4/127.0.0.1/tcp/2'] }],
    payload: new Uint8Array([9, 9, 9]),
  };

  it('round-trips, checked against the authenticated sender', () => {
    const bytes = encodeOverlayEnvelope(envelope, me.secretKey);
    const back = decodeOverlayEnvelope(bytes, me.publicKey, MAX);
    assert.deepEqual(back.addresses, envelope.addresses);
    assert.deepEqual([...back.message], [...envelope.message]);
    assert.deepEqual(back.hints, envelope.hints);
    assert.deepEqual([...back.payload], [...envelope.payload]);
  });

  it('refuses an envelope from another node than the connection, one signed by another key, and one over the size limit', () => {
    const bytes = encodeOverlayEnvelope(envelope, me.secretKey);
    assert.throws(() => decodeOverlayEnvelope(bytes, other.publicKey, MAX), OverlayEnvelopeError);
    const forged = encodeOverlayEnvelope(envelope, other.secretKey);
    assert.throws(() => decodeOverlayEnvelope(forged, me.publicKey, MAX), /not signed by its sender/);
    assert.throws(() => decodeOverlayEnvelope(bytes, me.publicKey, bytes.length - 1), OverlayEnvelopeError);
  });

  it('any flipped byte or cut is refused with OverlayEnvelopeError', () => {
    const bytes = encodeOverlayEnvelope(envelope, me.secretKey);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, xor, cut) => {
        const bad = cut ? bytes.slice(0, at) : bytes.slice();
        if (!cut) bad[at]! ^= xor;
        assert.throws(() => decodeOverlayEnvelope(bad, me.publicKey, MAX), OverlayEnvelopeError);
      }),
    );
  });
});
