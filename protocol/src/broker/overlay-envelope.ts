/**
 * The signed envelope a broker wraps each overlay message (protocol/src/overlay/wire.ts) in (docs/OVERLAY.md, "Brokers
 * use it"). The receiver checks that the signer is the node the channel authenticated
 * and that the signature holds before the message reaches OverlayNode; a failure is an
 * OverlayEnvelopeError, which bans the sender like malformed gossip.
 *
 *   u8 kind 0x57 ('W'), u8 version 1,
 *   bytes sender (32-byte Ed25519 key), list of string: the sender's own addresses,
 *   bytes message (wire.ts), list of hint: addresses the sender knows of nodes the
 *   message names (hint: string id, list of string address), bytes payload (an
 *   event's commit envelope, empty for gossip), bytes signature (64, by the sender's
 *   key over every byte before it).
 *
 * Addresses are hints to dial, not trusted: the transport authenticates the key at the
 * end of the address, so a wrong hint only fails to connect.
 */
import { ByteWriter } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { decodeWith, readHeader, readList, writeHeader, writeList } from '../codec/message.js';
import { bytesEqual, sign, verify } from '../crypto/index.js';

export const OVERLAY_ENVELOPE_KIND = 0x57;
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const MAX_ADDRESS_CHARS = 256;
/** Addresses of one node carried in an envelope. */
export const MAX_ADDRESSES = 4;
/** Hints in one envelope (a message names at most 32 nodes, plus fallbacks). */
export const MAX_HINTS = 40;

export interface AddressHint {
  readonly id: string;
  readonly addresses: readonly string[];
}

export interface OverlayEnvelope {
  readonly sender: Uint8Array;
  readonly addresses: readonly string[];
  readonly message: Uint8Array;
  readonly hints: readonly AddressHint[];
  readonly payload: Uint8Array;
}

export class OverlayEnvelopeError extends Error {
  override readonly name = 'OverlayEnvelopeError';
}

function writeAddresses(w: ByteWriter, addresses: readonly string[]): void {
  writeList(w, addresses.slice(0, MAX_ADDRESSES), (w2, a) => w2.writeString(a));
}

/** The envelope, signed with the sender's 32-byte secret key (seed). */
export function encodeOverlayEnvelope(e: OverlayEnvelope, secretKey: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  writeHeader(w, OVERLAY_ENVELOPE_KIND, 1);
  w.writeBytes(e.sender);
  writeAddresses(w, e.addresses);
  w.writeBytes(e.message);
  writeList(w, e.hints.slice(0, MAX_HINTS), (w2, h) => {
    w2.writeString(h.id);
    writeAddresses(w2, h.addresses);
  });
  w.writeBytes(e.payload);
  const signed = w.finish();
  const out = new ByteWriter();
  out.writeFixed(signed);
  out.writeBytes(sign(secretKey, signed));
  return out.finish();
}

/**
 * Decodes an envelope of at most `maxBytes`, checks that `expectedSender` signed it,
 * and returns it; throws OverlayEnvelopeError otherwise.
 */
export function decodeOverlayEnvelope(bytes: Uint8Array, expectedSender: Uint8Array, maxBytes: number): OverlayEnvelope {
  let envelope: OverlayEnvelope;
  let signedLength = 0;
  let signature: Uint8Array;
  try {
    ({ envelope, signedLength, signature } = decodeWith(bytes, maxBytes, (r) => {
      readHeader(r, OVERLAY_ENVELOPE_KIND, [1]);
      const readAddresses = (): string[] => readList(r, MAX_ADDRESSES, 1, (r2) => r2.readString(MAX_ADDRESS_CHARS, 'address'), 'addresses');
      const sender = r.readBytes(KEY_BYTES, 'sender');
      if (sender.length !== KEY_BYTES) throw new DecodeError('malformed', `a sender key of ${sender.length} bytes`);
      const addresses = readAddresses();
      const message = r.readBytes(maxBytes, 'message');
      const hints = readList(r, MAX_HINTS, 2, (r2) => ({ id: r2.readString(MAX_ADDRESS_CHARS, 'hint id'), addresses: readAddresses() }), 'hints');
      const payload = r.readBytes(maxBytes, 'payload');
      const length = r.offset;
      const sig = r.readBytes(SIGNATURE_BYTES, 'signature');
      return { envelope: { sender, addresses, message, hints, payload }, signedLength: length, signature: sig };
    }, 'overlay envelope'));
  } catch (err) {
    throw new OverlayEnvelopeError(err instanceof Error ? err.message : String(err));
  }
  if (!bytesEqual(envelope.sender, expectedSender)) throw new OverlayEnvelopeError('the envelope names another sender than the connection authenticated');
  if (signature.length !== SIGNATURE_BYTES || !verify(expectedSender, bytes.subarray(0, signedLength), signature)) {
    throw new OverlayEnvelopeError('the envelope is not signed by its sender');
  }
  return envelope;
}
