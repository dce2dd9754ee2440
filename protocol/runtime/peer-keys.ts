/**
 * KEYS and KEYREQ for the peer runtime: the signed message that hands a member its key
 * boxes, its check on arrival, and which boxes an admin hands to a broker.
 */
import { bytesEqual, fromHex, sign, verify } from '../src/crypto/index.js';
import { keysSignedBytes, type WireMessage } from '../src/multicast/wire.js';
import type { ShareReplica } from '../src/share/replica.js';
import { canAdminister } from '../src/share/roles.js';

/** A signed KEYS message with the member's boxes, if we can sign for the current topic. */
export function keysMessageFor(replica: ShareReplica, member: Uint8Array): WireMessage | undefined {
  const epoch = replica.currentEpoch();
  const boxes = replica.keyBoxesFor(member);
  if (!epoch?.topicSecret || boxes.length === 0) return undefined;
  return { type: 'keys', topic: epoch.topic, member, boxes, signature: sign(epoch.topicSecret, keysSignedBytes(member, boxes)) };
}

/** Is `msg` a KEYS message for us, signed by one of the share's topics? */
export function keysAreForUs(replica: ShareReplica, topics: readonly Uint8Array[], msg: Extract<WireMessage, { type: 'keys' }>): boolean {
  if (!bytesEqual(msg.member, replica.me.publicKey)) return false;
  return topics.some((t) => bytesEqual(t, msg.topic)) && verify(msg.topic, keysSignedBytes(msg.member, msg.boxes), msg.signature);
}

/**
 * The KEYS messages an admin owes a broker link: every other member's boxes, once per
 * (link, member, box count) unless `fresh`. Marks them in `published`.
 */
export function keysToPublish(replica: ShareReplica, linkId: string, published: Set<string>, fresh: boolean): WireMessage[] {
  if (!canAdminister(replica.myRole())) return [];
  const out: WireMessage[] = [];
  for (const [memberHex] of replica.members()) {
    if (memberHex === replica.meHex) continue;
    const member = fromHex(memberHex);
    const k = `${linkId}/${memberHex}/${replica.keyBoxesFor(member).length}`;
    if (!fresh && published.has(k)) continue;
    published.add(k);
    const msg = keysMessageFor(replica, member);
    if (msg) out.push(msg);
  }
  return out;
}
