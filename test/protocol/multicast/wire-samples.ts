/** One valid message of every pub/sub wire type (tests and fuzz seeds). */
import type { CommitId } from '../../../protocol/src/log/ids.js';
import type { WireMessage } from '../../../protocol/src/multicast/wire.js';

const T = new Uint8Array(32).fill(7);
const ID = 'ab'.repeat(32) as CommitId;

export const wireSamples: WireMessage[] = [
  { type: 'hello', role: 'broker', software: 'weft/0.1.0' },
  { type: 'subscribe', topics: [T, new Uint8Array(32).fill(1)] },
  { type: 'subscribed', topic: T },
  { type: 'unsubscribe', topic: T },
  { type: 'event', commit: new Uint8Array([0x43, 1, 2, 3]) },
  { type: 'ack', id: ID },
  { type: 'sync', topics: [T], message: new Uint8Array([0x53, 1, 0]) },
  { type: 'presence', topic: T, payload: new Uint8Array(40).fill(3) },
  { type: 'want', topic: T, ids: [ID, ID] },
  { type: 'error', code: 'unknown-topic', topic: T, reason: 'this broker does not carry that topic' },
  { type: 'error', code: 'rate-limited', reason: 'slow down' },
  { type: 'keys', topic: T, member: new Uint8Array(32).fill(9), boxes: [new Uint8Array(90).fill(1)], signature: new Uint8Array(64).fill(2) },
  { type: 'keyreq', topic: T, member: new Uint8Array(32).fill(9) },
  { type: 'chunkwant', ids: [new Uint8Array(32).fill(4), new Uint8Array(32).fill(5)] },
  { type: 'chunk', id: new Uint8Array(32).fill(4), bytes: new Uint8Array(64).fill(6) },
  { type: 'chunk', id: new Uint8Array(32).fill(5), bytes: new Uint8Array(0) },
  { type: 'relayreq', topic: T, signature: new Uint8Array(64).fill(7) },
];

