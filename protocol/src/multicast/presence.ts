/**
 * Presence: who is here, in which file, with which cursor and selections. Small,
 * ephemeral (forwarded, never stored), encrypted with the current epoch key (brokers
 * and outsiders learn nothing but its size) and signed by the member's own key inside
 * (receivers check the author is a member). Sans-I/O: `now` is an argument.
 *
 * Signed body (kind 0x50 'P', version 2; version 1 is the same without the addresses):
 *   u8 kind, u8 version, 32-byte member key, string name (<= 100 bytes),
 *   string file path ('' = none, <= 1000 bytes), varuint counter (monotonic per member:
 *   older or equal counters are replays and dropped), u8 flags (bit 0 leaving),
 *   var n (<= 64) selections, each: anchor, head (head = the cursor),
 *   where an anchor is u8 tag (0 document start, 1 document end, 2 a character: string
 *   agent (<= 32 bytes), varuint seq, u8 bias 0 before / 1 after),
 *   var n (<= 8) addresses, each a string (<= 300 bytes): multiaddrs the member can be
 *   dialled at, each ending in /p2p/<its peer id>, relayed ones (through a broker's
 *   circuit relay) included (issue 19): a teammate behind another NAT dials one,
 *   then 64-byte Ed25519 signature by the member over "weft/presence/1" || topic || the
 *   bytes before the signature.
 * On the wire (PRESENCE payload): AEAD(epoch key, body, aad = topic).
 */
import { ByteWriter, concatBytes } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { decodeWith, readHeader, writeHeader } from '../codec/message.js';
import { decrypt, encrypt, sign, toHex, verify, type RandomSource, type SigningKeyPair } from '../crypto/index.js';
import type { Anchor } from '../text/types.js';

export const PRESENCE_KIND = 0x50;
export const PRESENCE_VERSION = 2;
/** Addresses one presence may carry, and the length of each (a relayed multiaddr is about 150 bytes). */
export const MAX_PRESENCE_ADDRESSES = 8;
export const MAX_PRESENCE_ADDRESS_BYTES = 300;
export const MAX_PRESENCE_BYTES = 16 * 1024;
export const MAX_SELECTIONS = 64;
/** Presence not refreshed for this long is dropped. */
export const PRESENCE_TTL_MS = 30_000;
const DOMAIN = new TextEncoder().encode('weft/presence/1');

export interface PresenceSelection {
  anchor: Anchor;
  /** Where the cursor is. */
  head: Anchor;
}

export interface Presence {
  member: Uint8Array;
  name: string;
  /** Path of the file in view ('' = none). */
  file: string;
  selections: PresenceSelection[];
  counter: number;
  leaving: boolean;
  /** Where the member can be dialled (multiaddrs ending in /p2p/<peer id>); absent: nowhere said. */
  addrs?: readonly string[];
}

export class PresenceError extends Error {
  override readonly name = 'PresenceError';
  constructor(
    readonly reason: 'undecryptable' | 'malformed' | 'bad-signature' | 'not-a-member' | 'replay' | 'bad-address',
    message: string,
  ) {
    super(message);
  }
}

function writeAnchor(w: ByteWriter, a: Anchor): void {
  if (a.id === null) {
    w.writeU8(a.bias === 'before' ? 0 : 1);
    return;
  }
  w.writeU8(2);
  w.writeString(a.id.agent);
  w.writeVarUint(a.id.seq);
  w.writeU8(a.bias === 'before' ? 0 : 1);
}

/**
 * Why `addr` cannot be a presence address, or undefined when it can: at most 300 bytes of
 * printable ASCII without spaces, a multiaddr's text form (starts with '/') naming a peer
 * (/p2p/). Whether it parses and answers is the dialler's business (a DialError there).
 */
export function presenceAddressProblem(addr: string): string | undefined {
  if (new TextEncoder().encode(addr).length > MAX_PRESENCE_ADDRESS_BYTES) return `longer than ${MAX_PRESENCE_ADDRESS_BYTES} bytes`;
  if (!/^\/[\x21-\x7e]+$/.test(addr)) return 'not the text of a multiaddr (printable ASCII starting with /)';
  if (!addr.includes('/p2p/')) return 'names no peer (/p2p/<id>)';
  return undefined;
}

/** The signed body, without the signature. */
function encodeBody(p: Presence): Uint8Array {
  if (p.selections.length > MAX_SELECTIONS) throw new RangeError(`at most ${MAX_SELECTIONS} selections`);
  const addrs = p.addrs ?? [];
  if (addrs.length > MAX_PRESENCE_ADDRESSES) throw new RangeError(`at most ${MAX_PRESENCE_ADDRESSES} addresses`);
  for (const a of addrs) {
    const problem = presenceAddressProblem(a);
    if (problem) throw new RangeError(`presence address ${a}: ${problem}`);
  }
  const w = new ByteWriter(128);
  writeHeader(w, PRESENCE_KIND, PRESENCE_VERSION);
  w.writeFixed(p.member);
  w.writeString(p.name.slice(0, 100));
  w.writeString(p.file);
  w.writeVarUint(p.counter);
  w.writeU8(p.leaving ? 1 : 0);
  w.writeVarUint(p.selections.length);
  for (const s of p.selections) {
    writeAnchor(w, s.anchor);
    writeAnchor(w, s.head);
  }
  w.writeVarUint(addrs.length);
  for (const a of addrs) w.writeString(a);
  return w.finish();
}

/** Encodes and signs a presence (the member must be `me`). */
export function encodePresence(p: Presence, me: SigningKeyPair, topic: Uint8Array): Uint8Array {
  const body = encodeBody(p);
  return concatBytes([body, sign(me.secretKey, concatBytes([DOMAIN, topic, body]))]);
}

export interface DecodedPresence {
  presence: Presence;
  /** The bytes the signature covers (after the domain and topic). */
  body: Uint8Array;
  signature: Uint8Array;
}

/** Decodes a signed presence body. Throws DecodeError only; does not check the signature. */
export function decodePresence(bytes: Uint8Array): DecodedPresence {
  return decodeWith(
    bytes,
    MAX_PRESENCE_BYTES,
    (r) => {
      const version = readHeader(r, PRESENCE_KIND, [1, PRESENCE_VERSION]);
      const member = r.readFixed(32).slice();
      const name = r.readString(400, 'name');
      const file = r.readString(4000, 'file');
      const counter = r.readVarUint();
      const flags = r.readU8();
      if (flags > 1) throw new DecodeError('malformed', `presence flags ${flags}`);
      const n = r.readCount(MAX_SELECTIONS, 2, 'selections');
      const readAnchor = (): Anchor => {
        const tag = r.readU8();
        if (tag === 0) return { id: null, bias: 'before' };
        if (tag === 1) return { id: null, bias: 'after' };
        if (tag !== 2) throw new DecodeError('malformed', `anchor tag ${tag}`);
        const agent = r.readString(32, 'agent');
        const seq = r.readVarUint();
        const bias = r.readU8();
        if (bias > 1) throw new DecodeError('malformed', `anchor bias ${bias}`);
        return { id: { agent, seq }, bias: bias === 0 ? 'before' : 'after' };
      };
      const selections: PresenceSelection[] = [];
      for (let i = 0; i < n; i++) selections.push({ anchor: readAnchor(), head: readAnchor() });
      const addrs: string[] = [];
      if (version >= 2) {
        const k = r.readCount(MAX_PRESENCE_ADDRESSES, 1, 'addresses');
        for (let i = 0; i < k; i++) addrs.push(r.readString(MAX_PRESENCE_ADDRESS_BYTES, 'address'));
      }
      const bodyEnd = r.offset;
      const signature = r.readFixed(64).slice();
      const presence: Presence = { member, name, file, selections, counter, leaving: flags === 1, ...(addrs.length ? { addrs } : {}) };
      return { presence, body: bytes.slice(0, bodyEnd), signature };
    },
    'presence',
  );
}

/** Signs and encrypts a presence for the wire. */
export function sealPresence(p: Presence, me: SigningKeyPair, epoch: { topic: Uint8Array; key: Uint8Array }, random?: RandomSource): Uint8Array {
  return encrypt(epoch.key, encodePresence(p, me, epoch.topic), epoch.topic, random);
}

/**
 * Opens a presence payload: decrypts with the epoch key of `topic`, decodes, checks
 * the member's signature and (with `isMember`) that the author is a member.
 * Throws PresenceError only.
 */
export function openPresence(payload: Uint8Array, topic: Uint8Array, key: Uint8Array, isMember: (memberHex: string) => boolean): Presence {
  let plain: Uint8Array;
  try {
    plain = decrypt(key, payload, topic);
  } catch {
    throw new PresenceError('undecryptable', 'presence does not open with this epoch key');
  }
  let d: DecodedPresence;
  try {
    d = decodePresence(plain);
  } catch (err) {
    throw new PresenceError('malformed', (err as Error).message);
  }
  if (!verify(d.presence.member, concatBytes([DOMAIN, topic, d.body]), d.signature)) throw new PresenceError('bad-signature', 'presence signature does not verify');
  if (!isMember(toHex(d.presence.member))) throw new PresenceError('not-a-member', 'presence from someone who is not a member');
  for (const a of d.presence.addrs ?? []) {
    const problem = presenceAddressProblem(a);
    if (problem) throw new PresenceError('bad-address', `presence address ${JSON.stringify(a.slice(0, 80))}: ${problem}`);
  }
  return d.presence;
}

export interface PresenceEntry {
  presence: Presence;
  memberHex: string;
  expiresAt: number;
}

/** Who is here: the latest presence per member, replays dropped, expired after the TTL. */
export class PresenceTable {
  private readonly entries = new Map<string, PresenceEntry>();
  /** Highest counter seen per member (kept after leaving, so a replayed old message stays dropped). */
  private readonly counters = new Map<string, number>();

  constructor(private readonly ttlMs = PRESENCE_TTL_MS) {}

  /** Applies a verified presence. False when it is a replay or older than what we hold. */
  apply(p: Presence, now: number): boolean {
    const memberHex = toHex(p.member);
    const last = this.counters.get(memberHex);
    if (last !== undefined && p.counter <= last) return false;
    this.counters.set(memberHex, p.counter);
    if (p.leaving) this.entries.delete(memberHex);
    else this.entries.set(memberHex, { presence: p, memberHex, expiresAt: now + this.ttlMs });
    return true;
  }

  /** Drops entries not refreshed in time; returns the members removed. */
  expire(now: number): string[] {
    const gone: string[] = [];
    for (const [m, e] of this.entries) if (e.expiresAt <= now) (this.entries.delete(m), gone.push(m));
    return gone;
  }

  list(): PresenceEntry[] {
    return [...this.entries.values()];
  }

  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) if (next === undefined || e.expiresAt < next) next = e.expiresAt;
    return next;
  }
}
