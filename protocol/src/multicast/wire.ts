/**
 * The pub/sub wire protocol between Weft nodes (peers and brokers), one frame per
 * message on a `/weft/pubsub/1` FrameChannel.
 *
 * Every message (kind 0x4d 'M', version 1):
 *   u8 kind, u8 version, u8 type, then by type:
 *   1 HELLO        u8 role (0 peer, 1 broker), string software (e.g. "weft/0.1.0")
 *   2 SUBSCRIBE    var n, n x 32-byte topic public keys: one "stream" (the topics of one
 *                  share, every key epoch the subscriber knows; the first is the newest).
 *                  A broker answers SUBSCRIBED or ERROR unknown-topic (per topic).
 *   3 SUBSCRIBED   32-byte topic
 *   4 UNSUBSCRIBE  32-byte topic
 *   5 EVENT        bytes: a commit envelope (log/commit.ts; its topic is inside). Brokers
 *                  check the topic signature, store, forward; peers merge.
 *   6 ACK          32-byte commit id: the receiver stored the event durably (brokers only)
 *   7 SYNC         var n, n x 32-byte topics (the stream), bytes: a sync message (sync/)
 *   8 PRESENCE     32-byte topic, bytes: opaque, ephemeral (forwarded, never stored)
 *   9 WANT         32-byte topic, var n, n x 32-byte commit ids: "send me these events"
 *  10 ERROR        u8 code, optional 32-byte topic (u8 flag first), string reason
 *  11 KEYS         32-byte topic, 32-byte member key, var n, n x bytes key boxes, 64-byte
 *                  topic signature over "weft/keys/1" || member || each box: key boxes
 *                  sealed to a member (from its grant and later rotations), published by
 *                  the granter so a joiner can fetch them from a broker while nobody is
 *                  online; brokers store the latest per (topic, member) and check the
 *                  signature (only writers hold the topic key, so nobody else can spam it)
 *  12 KEYREQ       32-byte topic, 32-byte member key: "send me the key boxes of this member"
 *  13 CHUNKWANT    var n, n x 32-byte chunk ids (chunks/): "send me these chunks"
 *  14 CHUNK        32-byte chunk id, bytes: the chunk's ciphertext, one CHUNK per wanted id
 *                  in the order asked; empty bytes mean "not here" (a real chunk is never
 *                  empty: it holds at least a nonce and a tag). The receiver checks the
 *                  bytes against the id. Served by protocol/runtime/chunk-transfer.ts.
 *  15 CHUNKOFFER   32-byte topic, var n, n x 32-byte chunk ids, 64-byte topic signature over
 *                  "weft/chunk-offer/1" || topic || ids: a writer offers a broker the chunks
 *                  of objects it committed (only topic-key holders can make a broker store
 *                  chunks). The broker answers CHUNKWANT for the ids it lacks, the offerer
 *                  answers with CHUNKs, and the broker ends with CHUNKHAVE.
 *  16 CHUNKHAVE    var n, n x 32-byte chunk ids: "these offered chunks are stored here durably"
 *                  (offered ids left out were refused: quota, tampered, not sent)
 *  17 RELAYREQ     32-byte topic, 64-byte topic signature over "weft/relay/1" || topic ||
 *                  the sender's own 32-byte public key: "let me reserve a relay slot"
 *                  (issue 19). A broker grants circuit relay reservations only to peers
 *                  that sent one for a topic it carries (or that its operator allowlisted);
 *                  the signature names the sender's key (authenticated by Noise), so it
 *                  cannot be replayed by someone else.
 * Limits: one message at most MAX_WIRE_BYTES; at most MAX_TOPICS topics per stream;
 * at most MAX_WANT ids per WANT or CHUNKWANT.
 */
import { ByteWriter, concatBytes } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { decodeWith, readHeader, writeHeader } from '../codec/message.js';
import { ID_BYTES, commitIdFromBytes, commitIdToBytes, type CommitId } from '../log/ids.js';

export const WIRE_KIND = 0x4d;
export const WIRE_VERSION = 1;
export const PUBSUB_PROTOCOL = '/weft/pubsub/1';
export const MAX_WIRE_BYTES = 4 << 20;
export const MAX_TOPICS = 64;
export const MAX_WANT = 4096;
const TOPIC_BYTES = 32;
const CHUNK_ID_BYTES = 32;

export type WireErrorCode =
  | 'unknown-topic' // the broker does not carry this topic
  | 'bad-signature' // an event's topic signature does not verify
  | 'malformed' // a message that does not decode
  | 'too-large'
  | 'rate-limited'
  | 'quota' // the topic's storage quota is full
  | 'internal';
export const WIRE_ERROR_CODES: readonly WireErrorCode[] = ['unknown-topic', 'bad-signature', 'malformed', 'too-large', 'rate-limited', 'quota', 'internal'];

export type WireMessage =
  | { type: 'hello'; role: 'peer' | 'broker'; software: string }
  | { type: 'subscribe'; topics: Uint8Array[] }
  | { type: 'subscribed'; topic: Uint8Array }
  | { type: 'unsubscribe'; topic: Uint8Array }
  | { type: 'event'; commit: Uint8Array }
  | { type: 'ack'; id: CommitId }
  | { type: 'sync'; topics: Uint8Array[]; message: Uint8Array }
  | { type: 'presence'; topic: Uint8Array; payload: Uint8Array }
  | { type: 'want'; topic: Uint8Array; ids: CommitId[] }
  | { type: 'error'; code: WireErrorCode; topic?: Uint8Array; reason: string }
  | { type: 'keys'; topic: Uint8Array; member: Uint8Array; boxes: Uint8Array[]; signature: Uint8Array }
  | { type: 'keyreq'; topic: Uint8Array; member: Uint8Array }
  | { type: 'chunkwant'; ids: Uint8Array[] }
  | { type: 'chunk'; id: Uint8Array; bytes: Uint8Array }
  | { type: 'chunkoffer'; topic: Uint8Array; ids: Uint8Array[]; signature: Uint8Array }
  | { type: 'chunkhave'; ids: Uint8Array[] }
  | { type: 'relayreq'; topic: Uint8Array; signature: Uint8Array };

const TYPES = ['hello', 'subscribe', 'subscribed', 'unsubscribe', 'event', 'ack', 'sync', 'presence', 'want', 'error', 'keys', 'keyreq', 'chunkwant', 'chunk', 'chunkoffer', 'chunkhave', 'relayreq'] as const;
/** The type byte of a CHUNK frame (frame[2]), for runtimes that route chunk frames without decoding. */
export const CHUNK_TYPE_BYTE = TYPES.indexOf('chunk') + 1;
export const EVENT_TYPE_BYTE = TYPES.indexOf('event') + 1;
export const SYNC_TYPE_BYTE = TYPES.indexOf('sync') + 1;
const MAX_BOXES = 256;
const KEYS_DOMAIN = new TextEncoder().encode('weft/keys/1');

const CHUNK_OFFER_DOMAIN = new TextEncoder().encode('weft/chunk-offer/1');

/** The bytes a CHUNKOFFER's topic signature covers. */
export function chunkOfferSignedBytes(topic: Uint8Array, ids: readonly Uint8Array[]): Uint8Array {
  return concatBytes([CHUNK_OFFER_DOMAIN, topic, ...ids]);
}

const RELAY_DOMAIN = new TextEncoder().encode('weft/relay/1');

/** The bytes a RELAYREQ's topic signature covers: the topic and the requester's own key. */
export function relaySignedBytes(topic: Uint8Array, requester: Uint8Array): Uint8Array {
  return concatBytes([RELAY_DOMAIN, topic, requester]);
}

/** The bytes a KEYS message's topic signature covers. */
export function keysSignedBytes(member: Uint8Array, boxes: readonly Uint8Array[]): Uint8Array {
  return concatBytes([KEYS_DOMAIN, member, ...boxes]);
}

function writeChunkIds(w: ByteWriter, ids: readonly Uint8Array[]): void {
  w.writeVarUint(ids.length);
  for (const id of ids) {
    if (id.length !== CHUNK_ID_BYTES) throw new RangeError(`chunk ids are ${CHUNK_ID_BYTES} bytes`);
    w.writeFixed(id);
  }
}

function writeTopics(w: ByteWriter, topics: readonly Uint8Array[]): void {
  if (topics.length > MAX_TOPICS) throw new RangeError(`at most ${MAX_TOPICS} topics`);
  w.writeVarUint(topics.length);
  for (const t of topics) w.writeFixed(t);
}

export function encodeWire(m: WireMessage): Uint8Array {
  const w = new ByteWriter(64);
  writeHeader(w, WIRE_KIND, WIRE_VERSION);
  w.writeU8(TYPES.indexOf(m.type) + 1);
  switch (m.type) {
    case 'hello':
      w.writeU8(m.role === 'broker' ? 1 : 0);
      w.writeString(m.software);
      break;
    case 'subscribe':
      writeTopics(w, m.topics);
      break;
    case 'subscribed':
    case 'unsubscribe':
      w.writeFixed(m.topic);
      break;
    case 'event':
      w.writeBytes(m.commit);
      break;
    case 'ack':
      w.writeFixed(commitIdToBytes(m.id));
      break;
    case 'sync':
      writeTopics(w, m.topics);
      w.writeBytes(m.message);
      break;
    case 'presence':
      w.writeFixed(m.topic);
      w.writeBytes(m.payload);
      break;
    case 'want':
      if (m.ids.length > MAX_WANT) throw new RangeError(`at most ${MAX_WANT} ids per want`);
      w.writeFixed(m.topic);
      w.writeVarUint(m.ids.length);
      for (const id of m.ids) w.writeFixed(commitIdToBytes(id));
      break;
    case 'error':
      w.writeU8(WIRE_ERROR_CODES.indexOf(m.code));
      w.writeBool(m.topic !== undefined);
      if (m.topic) w.writeFixed(m.topic);
      w.writeString(m.reason.slice(0, 1000));
      break;
    case 'keys':
      if (m.boxes.length > MAX_BOXES) throw new RangeError(`at most ${MAX_BOXES} key boxes`);
      w.writeFixed(m.topic);
      w.writeFixed(m.member);
      w.writeVarUint(m.boxes.length);
      for (const b of m.boxes) w.writeBytes(b);
      w.writeFixed(m.signature);
      break;
    case 'keyreq':
      w.writeFixed(m.topic);
      w.writeFixed(m.member);
      break;
    case 'chunkwant':
      if (m.ids.length > MAX_WANT) throw new RangeError(`at most ${MAX_WANT} ids per chunkwant`);
      writeChunkIds(w, m.ids);
      break;
    case 'chunk':
      w.writeFixed(m.id);
      w.writeBytes(m.bytes);
      break;
    case 'chunkoffer':
      if (m.ids.length > MAX_WANT) throw new RangeError(`at most ${MAX_WANT} ids per chunkoffer`);
      w.writeFixed(m.topic);
      writeChunkIds(w, m.ids);
      w.writeFixed(m.signature);
      break;
    case 'chunkhave':
      if (m.ids.length > MAX_WANT) throw new RangeError(`at most ${MAX_WANT} ids per chunkhave`);
      writeChunkIds(w, m.ids);
      break;
    case 'relayreq':
      w.writeFixed(m.topic);
      w.writeFixed(m.signature);
      break;
  }
  const out = w.finish();
  if (out.length > MAX_WIRE_BYTES) throw new RangeError(`message of ${out.length} bytes exceeds ${MAX_WIRE_BYTES}`);
  return out;
}

/** Decodes one frame. Throws DecodeError only. */
export function decodeWire(bytes: Uint8Array): WireMessage {
  return decodeWith(
    bytes,
    MAX_WIRE_BYTES,
    (r) => {
      readHeader(r, WIRE_KIND, [WIRE_VERSION]);
      const code = r.readU8();
      const type = TYPES[code - 1];
      const topics = (): Uint8Array[] => {
        const n = r.readCount(MAX_TOPICS, TOPIC_BYTES, 'topics');
        const out: Uint8Array[] = [];
        for (let i = 0; i < n; i++) out.push(r.readFixed(TOPIC_BYTES).slice());
        return out;
      };
      const chunkIds = (): Uint8Array[] => {
        const n = r.readCount(MAX_WANT, CHUNK_ID_BYTES, 'chunk ids');
        const ids: Uint8Array[] = [];
        for (let i = 0; i < n; i++) ids.push(r.readFixed(CHUNK_ID_BYTES).slice());
        return ids;
      };
      switch (type) {
        case 'hello': {
          const role = r.readU8();
          if (role > 1) throw new DecodeError('malformed', `role ${role}`);
          return { type, role: role === 1 ? 'broker' : 'peer', software: r.readString(200, 'software') };
        }
        case 'subscribe':
          return { type, topics: topics() };
        case 'subscribed':
        case 'unsubscribe':
          return { type, topic: r.readFixed(TOPIC_BYTES).slice() };
        case 'event':
          return { type, commit: r.readBytes(MAX_WIRE_BYTES, 'commit').slice() };
        case 'ack':
          return { type, id: commitIdFromBytes(r.readFixed(ID_BYTES)) };
        case 'sync':
          return { type, topics: topics(), message: r.readBytes(MAX_WIRE_BYTES, 'sync message').slice() };
        case 'presence':
          return { type, topic: r.readFixed(TOPIC_BYTES).slice(), payload: r.readBytes(64 * 1024, 'presence').slice() };
        case 'want': {
          const topic = r.readFixed(TOPIC_BYTES).slice();
          const n = r.readCount(MAX_WANT, ID_BYTES, 'wanted ids');
          const ids: CommitId[] = [];
          for (let i = 0; i < n; i++) ids.push(commitIdFromBytes(r.readFixed(ID_BYTES)));
          return { type, topic, ids };
        }
        case 'error': {
          const c = WIRE_ERROR_CODES[r.readU8()];
          if (!c) throw new DecodeError('malformed', 'unknown error code');
          const topic = r.readBool() ? r.readFixed(TOPIC_BYTES).slice() : undefined;
          const reason = r.readString(4000, 'reason');
          return topic ? { type, code: c, topic, reason } : { type, code: c, reason };
        }
        case 'keys': {
          const topic = r.readFixed(TOPIC_BYTES).slice();
          const member = r.readFixed(32).slice();
          const n = r.readCount(MAX_BOXES, 1, 'key boxes');
          const boxes: Uint8Array[] = [];
          for (let i = 0; i < n; i++) boxes.push(r.readBytes(64 * 1024, 'key box').slice());
          return { type, topic, member, boxes, signature: r.readFixed(64).slice() };
        }
        case 'keyreq':
          return { type, topic: r.readFixed(TOPIC_BYTES).slice(), member: r.readFixed(32).slice() };
        case 'chunkwant':
          return { type, ids: chunkIds() };
        case 'chunkoffer': {
          const topic = r.readFixed(TOPIC_BYTES).slice();
          return { type, topic, ids: chunkIds(), signature: r.readFixed(64).slice() };
        }
        case 'chunkhave':
          return { type, ids: chunkIds() };
        case 'chunk':
          return { type, id: r.readFixed(CHUNK_ID_BYTES).slice(), bytes: r.readBytes(MAX_WIRE_BYTES, 'chunk').slice() };
        case 'relayreq':
          return { type, topic: r.readFixed(TOPIC_BYTES).slice(), signature: r.readFixed(64).slice() };
        default:
          throw new DecodeError('malformed', `unknown message type ${code}`);
      }
    },
    'pubsub message',
  );
}
