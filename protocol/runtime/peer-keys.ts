/**
 * KEYS and KEYREQ for the peer runtime: the signed message that hands a member its key
 * boxes, its check on arrival, and which boxes an admin hands to a broker.
 */
import { bytesEqual, fromHex, sign, verify } from '../src/crypto/index.js';
import { keysSignedBytes, type WireMessage } from '../src/multicast/wire.js';
import type { ShareReplica } from '../src/share/replica.js';
import { canAdminister } from '../src/share/roles.js';

/** A signed KEYS message with the member's boxes, if we can sign for the current topic. */
export function keysMessageFor(replica: ShareReplica, member: Uint8Array): Extract<WireMessage, { type: 'keys' }> | undefined {
  const epoch = replica.currentEpoch();
  const boxes = replica.keyBoxesFor(member);
  if (!epoch?.topicSecret || boxes.length === 0) return undefined;
  return { type: 'keys', topic: epoch.topic, member, boxes, signature: sign(epoch.topicSecret, keysSignedBytes(member, boxes)) };
}

/**
 * Is `msg` a KEYS message for us, signed by one of the share's topics: one announced in
 * the log we merged, or one whose key a box sealed to us brought (its announcement may
 * wait for the very keys this message brings).
 */
export function keysAreForUs(replica: ShareReplica, topics: readonly Uint8Array[], msg: Extract<WireMessage, { type: 'keys' }>): boolean {
  if (!bytesEqual(msg.member, replica.me.publicKey)) return false;
  const known = topics.some((t) => bytesEqual(t, msg.topic)) || replica.heldEpochs().some((e) => bytesEqual(e.topic, msg.topic));
  return known && verify(msg.topic, keysSignedBytes(msg.member, msg.boxes), msg.signature);
}

/** A member holding keys asks again at first this soon after commits got locked out for want of a key, */
const ASK_AGAIN_FIRST_MS = 1000;
/** and then at twice the interval each time, up to this (no admin may have the key for us yet). */
const ASK_AGAIN_MAX_MS = 60_000;

/**
 * When a member that holds keys asks for its key boxes again: while commits it holds are
 * locked out for want of an epoch's key (a rotation left it out and an admin's new
 * grant or a handover seals it later, perhaps in a commit that itself waits behind the
 * locked-out ones), soon after new ones get locked out, then less and less often.
 */
export class KeyAsking {
  private interval = ASK_AGAIN_FIRST_MS;
  private next = 0;
  private lockedBefore = 0;

  /** Should we ask now, with `locked` commits waiting for a key? */
  due(now: number, locked: number): boolean {
    const more = locked > this.lockedBefore;
    this.lockedBefore = locked;
    if (locked === 0) return false;
    if (more) {
      this.interval = ASK_AGAIN_FIRST_MS;
      this.next = now + ASK_AGAIN_FIRST_MS;
      return false;
    }
    if (now < this.next) return false;
    this.next = now + this.interval;
    this.interval = Math.min(this.interval * 2, ASK_AGAIN_MAX_MS);
    return true;
  }
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
