/**
 * The one textual form of a public key, and its fingerprint.
 *
 * Key text is Bech32m (BIP-350) with the human-readable part "weft":
 *
 *     weft1 <52 data characters: the 32-byte Ed25519 key in 5-bit groups> <6 checksum characters>
 *     e.g. weft16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydq958470   (63 characters,
 *     the RFC 8032 test key d75a9801...; its fingerprint is "s34l x2l9 gyr2 dc38")
 *
 * Why this form: the alphabet `qpzry9x8gf2tvdw0s3jn54khce6mua7l` has no 1, b, i, o
 * (nothing to confuse with l, 8, l, 0), the text is one "word" that a double-click
 * selects whole, and the 30-bit BCH checksum is guaranteed to catch any error in up to
 * 4 characters (so every single-character typo, including swapped neighbours), not just
 * most of them as a truncated hash would. Parsing ignores case and any whitespace
 * (e.g. a key broken across lines in a mail); output is always lowercase.
 *
 * The fingerprint is for comparing keys by voice or at a glance, not for typing in:
 * 16 characters of the same alphabet in four groups, "s34l x2l9 gyr2 dc38", taken
 * from BLAKE3(domain || key) (80 bits: finding another key with the same fingerprint
 * takes ~2^80 work).
 */
import { KeyTextError } from './errors.js';
import { hash } from './hash.js';
import { utf8 } from './bytes-util.js';

const HRP = 'weft';
const PREFIX = HRP + '1';
const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32M_CONST = 0x2bc830a3;
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const KEY_BYTES = 32;
const DATA_CHARS = Math.ceil((KEY_BYTES * 8) / 5); // 52
const CHECKSUM_CHARS = 6;
const TEXT_CHARS = PREFIX.length + DATA_CHARS + CHECKSUM_CHARS; // 63

const CHAR_VALUE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));
/** What a person probably meant when typing a character the alphabet leaves out. */
const LOOKALIKE: Record<string, string> = { b: '8', i: 'l', o: '0', '1': 'l' };

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

function checksum(data: readonly number[]): number[] {
  const mod = polymod([...hrpExpand(HRP), ...data, 0, 0, 0, 0, 0, 0]) ^ BECH32M_CONST;
  return Array.from({ length: CHECKSUM_CHARS }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
}

/** Bytes to 5-bit groups, zero-padded at the end. */
function toFiveBit(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >>> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}

/** 5-bit groups back to bytes; null if the padding bits are not zero (non-canonical). */
function fromFiveBit(groups: readonly number[]): Uint8Array | null {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const g of groups) {
    acc = (acc << 5) | g;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return null;
  return Uint8Array.from(out);
}

export function publicKeyToText(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_BYTES) {
    throw new RangeError(`a public key is ${KEY_BYTES} bytes, got ${publicKey?.length}`);
  }
  const data = toFiveBit(publicKey);
  return PREFIX + [...data, ...checksum(data)].map((v) => ALPHABET[v]).join('');
}

export function publicKeyFromText(text: string): Uint8Array {
  if (typeof text !== 'string') throw new KeyTextError('a Weft key is text starting with "weft1"');
  const s = text.replace(/\s+/g, '').toLowerCase();
  if (s.length === 0) throw new KeyTextError('the key is empty: paste a key starting with "weft1"');
  if (!s.startsWith(PREFIX)) {
    throw new KeyTextError(`a Weft key starts with "${PREFIX}"; this starts with "${s.slice(0, 5)}" (is it a key from another tool?)`);
  }
  const body = s.slice(PREFIX.length);
  const values: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const v = CHAR_VALUE.get(c);
    if (v === undefined) {
      const hint = LOOKALIKE[c] ? ` (did you mean "${LOOKALIKE[c]}"?)` : '';
      throw new KeyTextError(`character "${c}" at position ${PREFIX.length + i + 1} is not used in Weft keys${hint}`);
    }
    values.push(v);
  }
  if (s.length !== TEXT_CHARS) {
    const how = s.length < TEXT_CHARS ? 'too short (cut off when copying?)' : 'too long (two keys pasted together, or extra text?)';
    throw new KeyTextError(`a Weft key has ${TEXT_CHARS} characters, this has ${s.length}: ${how}`);
  }
  if (polymod([...hrpExpand(HRP), ...values]) !== BECH32M_CONST) {
    throw new KeyTextError('the key does not match its checksum: a character was mistyped; copy the key again');
  }
  const key = fromFiveBit(values.slice(0, DATA_CHARS));
  if (key === null || key.length !== KEY_BYTES) throw new KeyTextError('the key is not in canonical form; copy the key again');
  return key;
}

const FINGERPRINT_DOMAIN = utf8('weft/fingerprint/v1');

export function fingerprint(publicKey: Uint8Array): string {
  const digest = hash([FINGERPRINT_DOMAIN, publicKey]).subarray(0, 10); // 80 bits = 16 characters
  const chars = toFiveBit(digest).map((v) => ALPHABET[v]).join('');
  return chars.match(/.{4}/g)!.join(' ');
}
