/**
 * The overlay's messages in bytes: what the broker signs (inside its envelope) and
 * sends. Decoding checks every length before reading it, then the message's own bounds
 * (messages.ts); a refusal is an OversizedMessageError or a MalformedMessageError, and
 * the node that sent it is banned (OverlayNode.receiveBytes), or an
 * UnsupportedMessageError for a tag this node does not know, which is not.
 *
 *   u8 kind 0x56 ('V'), u8 version, u8 tag, then by tag:
 *   1 cyclon-request, 2 cyclon-response, 3 vicinity-request, 4 vicinity-response:
 *       varuint n, n x descriptor
 *   5 ring-request, 6 ring-response: string topic, bool subscribed, varuint n, n x string id
 *   7 event: string topic, string event id, varuint hops
 *   8 ring-join: string topic, string joiner, varuint hops
 *   9 descriptor-request, 10 descriptor-response: varuint n, n x descriptor
 *   descriptor: string id, varuint age, u8 hashes, varuint flip (p x 2^32, rounded),
 *       bytes profile (its 32-bit words, little-endian; a power of two >= 8 bytes)
 *
 * Compatibility. The version is the highest format the sender speaks; format n+1 only
 * adds tags to format n, and a tag's body never changes (a new body is a new tag). A
 * receiver handles every tag it knows whatever the version, and drops a tag it does not
 * know (UnsupportedMessageError: not banned, but counted against the sender's gossip
 * rate, so new kinds must fit an honest node's budget, guard.ts). Version 0, a tag 0, a
 * known tag whose body does not decode, trailing bytes or a message over the limits are
 * malformed or oversized, whatever the version: those still ban. A new message must keep
 * within the size limits of the oldest receivers it may meet.
 *
 * Format 1 is tags 1 to 10. Tags 9 and 10 came after the first brokers, which read
 * version 1 only and ban any tag they do not know: they ban a newer broker that asks them
 * for their descriptor, and would ban every message of one that wrote version 2, so the
 * version stays 1 for them; brokers from this one on accept any version, and the next
 * tag added makes it 2 (so that a node can tell which tags a peer reads).
 */
import { ByteWriter, type ByteReader } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { decodeWith, readList, writeHeader, writeList } from '../codec/message.js';
import type { Descriptor } from './descriptor.js';
import { checkMessage, MalformedMessageError, OversizedMessageError, UnsupportedMessageError, type OverlayLimits, type OverlayMessage } from './messages.js';
import { Profile } from './profile.js';

export const OVERLAY_KIND = 0x56;
/** The highest format this node speaks (see the top of the file). */
export const OVERLAY_VERSION = 1;
const TAGS = ['cyclon-request', 'cyclon-response', 'vicinity-request', 'vicinity-response', 'ring-request', 'ring-response', 'event', 'ring-join', 'descriptor-request', 'descriptor-response'] as const;
const FLIP_SCALE = 2 ** 32;

function writeDescriptor(w: ByteWriter, d: Descriptor): void {
  w.writeString(d.id);
  w.writeVarUint(d.age);
  w.writeU8(d.profile.hashes);
  w.writeVarUint(Math.round(d.profile.flip * FLIP_SCALE));
  const bytes = new Uint8Array(d.profile.words.length * 4);
  const view = new DataView(bytes.buffer);
  d.profile.words.forEach((word, i) => view.setUint32(i * 4, word, true));
  w.writeBytes(bytes);
}

export function encodeOverlayMessage(m: OverlayMessage): Uint8Array {
  const w = new ByteWriter();
  writeHeader(w, OVERLAY_KIND, OVERLAY_VERSION);
  w.writeU8(TAGS.indexOf(m.kind) + 1);
  switch (m.kind) {
    case 'cyclon-request':
    case 'cyclon-response':
    case 'vicinity-request':
    case 'vicinity-response':
    case 'descriptor-request':
    case 'descriptor-response':
      writeList(w, m.descriptors, writeDescriptor);
      break;
    case 'ring-request':
    case 'ring-response':
      w.writeString(m.topic);
      w.writeBool(m.subscribed);
      writeList(w, m.ids, (w2, id) => w2.writeString(id));
      break;
    case 'event':
      w.writeString(m.topic);
      w.writeString(m.event);
      w.writeVarUint(m.hops);
      break;
    case 'ring-join':
      w.writeString(m.topic);
      w.writeString(m.joiner);
      w.writeVarUint(m.hops);
      break;
  }
  return w.finish();
}

/** Decodes and checks a message; throws OversizedMessageError or MalformedMessageError (ban the sender), or UnsupportedMessageError (drop it). */
export function decodeOverlayMessage(bytes: Uint8Array, limits: OverlayLimits = {}): OverlayMessage {
  const maxIds = limits.maxIds ?? 32;
  const maxName = 4 * (limits.maxNameLength ?? 128); // UTF-8 bytes
  const maxProfileBytes = (limits.maxProfileBits ?? 65536) / 8;
  const maxBytes = 64 + maxIds * (maxName + maxProfileBytes + 32);
  let message: OverlayMessage;
  let unknown: UnsupportedMessageError | undefined;
  try {
    message = decodeWith(bytes, maxBytes, (r) => {
      if (r.readU8() !== OVERLAY_KIND) throw new DecodeError('malformed', 'not an overlay message');
      const version = r.readU8();
      if (version === 0) throw new DecodeError('malformed', 'overlay format version 0');
      const tag = r.readU8();
      if (tag > TAGS.length) {
        unknown = new UnsupportedMessageError(version, tag);
        throw new DecodeError('version', unknown.message);
      }
      const kind = TAGS[tag - 1];
      const readDescriptor = (r2: ByteReader): Descriptor => {
        const id = r2.readString(maxName, 'descriptor id');
        const age = r2.readVarUint();
        const hashes = r2.readU8();
        const flip = r2.readVarUint() / FLIP_SCALE;
        const raw = r2.readBytes(maxProfileBytes, 'profile');
        if (raw.length % 4 !== 0) throw new DecodeError('malformed', `a profile of ${raw.length} bytes`);
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const words = new Uint32Array(raw.length / 4);
        for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4, true);
        return { id, age, profile: new Profile(words, hashes, flip) };
      };
      switch (kind) {
        case 'cyclon-request':
        case 'cyclon-response':
        case 'vicinity-request':
        case 'vicinity-response':
        case 'descriptor-request':
        case 'descriptor-response':
          return { kind, descriptors: readList(r, maxIds, 4, readDescriptor, 'descriptors') };
        case 'ring-request':
        case 'ring-response': {
          const topic = r.readString(maxName, 'topic');
          const subscribed = r.readBool();
          return { kind, topic, subscribed, ids: readList(r, maxIds, 1, (r2) => r2.readString(maxName, 'id'), 'ids') };
        }
        case 'event':
          return { kind, topic: r.readString(maxName, 'topic'), event: r.readString(maxName, 'event id'), hops: r.readVarUint() };
        case 'ring-join':
          return { kind, topic: r.readString(maxName, 'topic'), joiner: r.readString(maxName, 'joiner'), hops: r.readVarUint() };
        default:
          throw new DecodeError('malformed', 'overlay message tag 0');
      }
    });
  } catch (err) {
    if (unknown) throw unknown;
    if (err instanceof DecodeError && err.code === 'too-large') throw new OversizedMessageError(err.message);
    throw new MalformedMessageError(err instanceof Error ? err.message : String(err));
  }
  const invalid = checkMessage(message, limits);
  if (invalid) throw invalid;
  return message;
}
