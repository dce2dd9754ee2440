/**
 * Whole-message helpers on top of ByteReader/ByteWriter.
 *
 * Every message that goes on the wire or to disk starts with a two-byte header:
 *   u8  kind     which structure this is (e.g. 0x43 'C' for a commit); a decoder given
 *                the wrong kind refuses it with DecodeError('malformed')
 *   u8  version  the format version of that structure; one the decoder does not know
 *                is DecodeError('version'), so a peer can say "upgrade" instead of "garbage"
 * Kinds are listed where each structure is defined; pick an unused printable ASCII letter.
 *
 * A decoder of a whole message is written as
 *   export function decodeX(bytes: Uint8Array): X {
 *     return decodeWith(bytes, MAX_X_BYTES, (r) => { const v = readHeader(r, X_KIND, [1]); ...; return x; });
 *   }
 * which gives it the four guarantees the fuzz test checks: the size limit is checked
 * before any work, trailing bytes are refused, and any exception other than
 * DecodeError becomes DecodeError('malformed') (no untyped error escapes).
 */
import { ByteReader, type ByteWriter } from './bytes.js';
import { DecodeError, decodeSafely } from './errors.js';

export function writeHeader(w: ByteWriter, kind: number, version: number): void {
  if (!isByte(kind) || !isByte(version)) throw new RangeError(`header kind ${kind} / version ${version} must be 0..255`);
  w.writeU8(kind);
  w.writeU8(version);
}

/** Reads the header and returns the version (one of `supportedVersions`). */
export function readHeader(r: ByteReader, expectedKind: number, supportedVersions: readonly number[]): number {
  const kind = r.readU8();
  if (kind !== expectedKind) throw new DecodeError('malformed', `expected message kind ${hexByte(expectedKind)}, got ${hexByte(kind)}`);
  const version = r.readU8();
  if (!supportedVersions.includes(version)) {
    throw new DecodeError('version', `kind ${hexByte(kind)} version ${version} is not supported (this build reads ${supportedVersions.join(', ')})`);
  }
  return version;
}

/**
 * Decodes a whole message: refuses input over maxBytes (before reading it), runs fn,
 * requires that fn consumed every byte, and turns any other exception into
 * DecodeError('malformed').
 */
export function decodeWith<T>(bytes: Uint8Array, maxBytes: number, fn: (r: ByteReader) => T, what = 'message'): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('malformed', `${what}: input is not bytes`);
  if (bytes.length > maxBytes) throw new DecodeError('too-large', `${what} of ${bytes.length} bytes exceeds limit ${maxBytes}`);
  return decodeSafely(what, () => {
    const r = new ByteReader(bytes);
    const value = fn(r);
    r.expectEnd(what);
    return value;
  });
}

/** A list: varuint count, then the items. */
export function writeList<T>(w: ByteWriter, items: readonly T[], writeItem: (w: ByteWriter, item: T) => void): void {
  w.writeVarUint(items.length);
  for (const item of items) writeItem(w, item);
}

/**
 * Reads a list written by writeList. The count is checked against `max` and against the
 * input left (each item takes at least `minItemBytes`), so a hostile count cannot make
 * the decoder allocate or loop beyond what the bytes can hold.
 */
export function readList<T>(r: ByteReader, max: number, minItemBytes: number, readItem: (r: ByteReader) => T, what = 'list'): T[] {
  const n = r.readCount(max, Math.max(1, minItemBytes), what);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(readItem(r));
  return out;
}

function isByte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 255;
}

function hexByte(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}
