/**
 * `weft peer revoke KEY`: what "Weft: Revoke Access…" does in the extension, on a stored
 * share. The replica checks the caller's right itself; this says first, in words a user
 * can act on, why a revocation cannot be made (the replica would revoke a key that is
 * not a member, which does nothing but rotate the share's key).
 */
import { fingerprint, publicKeyToText, toHex, type ShareNode, canAdminister, type Role } from '../protocol/src/index.js';

/** A revocation that cannot be made (its message says why). */
export class RevokeError extends Error {
  override readonly name = 'RevokeError';
}

export interface RevokedMember {
  role: Role;
  name: string;
}

/** Revokes `member` and commits it durably (sent on the next run); returns who it was. */
export async function revokeMember(node: ShareNode, member: Uint8Array, shareName: string): Promise<RevokedMember> {
  const replica = node.replica;
  const mine = replica.myRole();
  if (!canAdminister(mine)) {
    const me = publicKeyToText(replica.me.publicKey);
    const standing = mine ? `a ${mine}` : 'not a member (yet: a new member learns its role on its first "weft peer run")';
    throw new RevokeError(`only the owner and admins of "${shareName}" may revoke access; you (${me}) are ${standing}`);
  }
  const target = replica.members().get(toHex(member));
  if (!target) {
    const others = [...replica.members()].filter(([hex]) => hex !== replica.meHex).map(([, m]) => `${m.name} (${m.role})`);
    throw new RevokeError(`${publicKeyToText(member)} (${fingerprint(member)}) is not a member of "${shareName}"; its members besides you: ${others.join(', ') || 'none'}`);
  }
  if (target.role === 'owner') throw new RevokeError(`${target.name} is the owner of "${shareName}": the owner cannot be revoked`);
  replica.revoke(member);
  await node.commit();
  return { role: target.role, name: target.name };
}
