/**
 * An invitation: everything a joiner needs besides its own key. Text form:
 * `weft-invite:` + base64url (no padding) of
 *   u8 kind 0x49 'I', u8 version 1, 32-byte share id, string share name (<= 200 bytes),
 *   var n (1..64) x 32-byte topics (newest first),
 *   var n (<= 32) addresses, each: u8 role (0 peer, 1 broker), string multiaddr (<= 400 bytes).
 * Nothing secret is inside: the keys reach the joiner sealed to its own key (KEYREQ).
 */
import { ByteWriter } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { decodeWith, readHeader, writeHeader } from '../codec/message.js';

export const INVITATION_KIND = 0x49;
export const INVITATION_VERSION = 1;
export const INVITATION_PREFIX = 'weft-invite:';
const MAX_BYTES = 32 * 1024;
const MAX_TOPICS = 64;
const MAX_ADDRESSES = 32;

export interface InvitationAddress {
  role: 'peer' | 'broker';
  addr: string;
}

export interface Invitation {
  shareId: Uint8Array;
  name: string;
  topics: Uint8Array[];
  addresses: InvitationAddress[];
}

export function encodeInvitation(inv: Invitation): Uint8Array {
  if (inv.topics.length === 0 || inv.topics.length > MAX_TOPICS) throw new RangeError(`1..${MAX_TOPICS} topics`);
  if (inv.addresses.length > MAX_ADDRESSES) throw new RangeError(`at most ${MAX_ADDRESSES} addresses`);
  const w = new ByteWriter(256);
  writeHeader(w, INVITATION_KIND, INVITATION_VERSION);
  w.writeFixed(inv.shareId);
  w.writeString(inv.name);
  w.writeVarUint(inv.topics.length);
  for (const t of inv.topics) w.writeFixed(t);
  w.writeVarUint(inv.addresses.length);
  for (const a of inv.addresses) {
    w.writeU8(a.role === 'broker' ? 1 : 0);
    w.writeString(a.addr);
  }
  return w.finish();
}

/** Throws DecodeError only. */
export function decodeInvitation(bytes: Uint8Array): Invitation {
  return decodeWith(
    bytes,
    MAX_BYTES,
    (r) => {
      readHeader(r, INVITATION_KIND, [INVITATION_VERSION]);
      const shareId = r.readFixed(32).slice();
      const name = r.readString(200, 'share name');
      const nt = r.readCount(MAX_TOPICS, 32, 'topics');
      if (nt === 0) throw new DecodeError('malformed', 'an invitation names at least one topic');
      const topics: Uint8Array[] = [];
      for (let i = 0; i < nt; i++) topics.push(r.readFixed(32).slice());
      const na = r.readCount(MAX_ADDRESSES, 2, 'addresses');
      const addresses: InvitationAddress[] = [];
      for (let i = 0; i < na; i++) {
        const role = r.readU8();
        if (role > 1) throw new DecodeError('malformed', `address role ${role}`);
        addresses.push({ role: role === 1 ? 'broker' : 'peer', addr: r.readString(400, 'address') });
      }
      return { shareId, name, topics, addresses };
    },
    'invitation',
  );
}

export function invitationToText(inv: Invitation): string {
  return INVITATION_PREFIX + Buffer.from(encodeInvitation(inv)).toString('base64url');
}

/** Parses the text form. Throws DecodeError only. */
export function invitationFromText(text: string): Invitation {
  const t = text.trim();
  if (!t.startsWith(INVITATION_PREFIX)) throw new DecodeError('malformed', `an invitation starts with "${INVITATION_PREFIX}"`);
  const body = t.slice(INVITATION_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body) || body.length > (MAX_BYTES * 4) / 3 + 4) throw new DecodeError('malformed', 'an invitation is base64url text');
  return decodeInvitation(new Uint8Array(Buffer.from(body, 'base64url')));
}
