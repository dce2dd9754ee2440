/**
 * The operations of the manifest (path -> document) and the ids they name.
 *
 * A FileId is chosen by the creator of an entry: 16 random bytes from the caller's
 * RandomSource, written as 32 lowercase hex characters (on the wire: the 16 raw bytes).
 * It is not derived from the creating commit because a commit's id is the hash of its
 * encoding, which does not exist yet while its ops are being built. 128 random bits
 * make a collision between honest creators negligible; a deliberate duplicate is still
 * merged deterministically (see manifest.ts).
 */
import { assertNormalPath } from './paths.js';

export type FileId = string & { readonly __brand: 'FileId' };

export const FILE_ID_BYTES = 16;

export type EntryKind = 'text' | 'binary' | 'folder';

export const ENTRY_KINDS: readonly EntryKind[] = ['text', 'binary', 'folder'];

export type ManifestOp =
  | { readonly type: 'create'; readonly file: FileId; readonly path: string; readonly kind: EntryKind }
  | { readonly type: 'rename'; readonly file: FileId; readonly path: string }
  | { readonly type: 'delete'; readonly file: FileId };

const FILE_ID = /^[0-9a-f]{32}$/;

export function isFileId(s: string): s is FileId {
  return FILE_ID.test(s);
}

/** A FileId from 16 bytes (the caller draws them from its RandomSource). */
export function fileIdFromBytes(bytes: Uint8Array): FileId {
  if (bytes.length !== FILE_ID_BYTES) throw new RangeError(`a FileId is ${FILE_ID_BYTES} bytes, got ${bytes.length}`);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s as FileId;
}

export function fileIdToBytes(id: FileId): Uint8Array {
  const out = new Uint8Array(FILE_ID_BYTES);
  for (let i = 0; i < FILE_ID_BYTES; i++) out[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export type ManifestOpErrorReason =
  | 'bad-file-id' // not 32 lowercase hex characters
  | 'bad-kind' // not one of ENTRY_KINDS
  | 'unknown-file'; // no create of the file in the causal past of the op (or earlier in its commit)

/** An op that cannot be applied; the manifest is left unchanged. */
export class ManifestOpError extends Error {
  override readonly name = 'ManifestOpError';
  constructor(
    readonly reason: ManifestOpErrorReason,
    readonly file: string,
    detail: string,
  ) {
    super(`manifest op on ${file.slice(0, 8)} refused (${reason}): ${detail}`);
  }
}

/** Checks the op's own fields (id format, kind, path normal form); throws ManifestOpError or InvalidPathError. */
export function checkManifestOp(op: ManifestOp): void {
  if (!isFileId(op.file)) throw new ManifestOpError('bad-file-id', String(op.file), 'expected 32 lowercase hex characters');
  if (op.type === 'create' && !ENTRY_KINDS.includes(op.kind)) {
    throw new ManifestOpError('bad-kind', op.file, `unknown entry kind ${JSON.stringify(op.kind)}`);
  }
  if (op.type !== 'delete') assertNormalPath(op.path);
}

/** A string that identifies the op exactly (used to make re-application a no-op). */
export function manifestOpKey(op: ManifestOp): string {
  switch (op.type) {
    case 'create':
      return `c${op.kind[0]}${op.file}${op.path}`;
    case 'rename':
      return `r${op.file}${op.path}`;
    case 'delete':
      return `d${op.file}`;
  }
}

/**
 * A FileId made from `random` that sorts before (or after) `other`: it copies `other` up
 * to the first hex digit it can lower (or raise), picks a digit below (above) it there,
 * and keeps the random digits after. Ids stay unique: the random tail is still 100+ bits.
 */
export function fileIdBeside(random: Uint8Array, other: FileId, order: 'before' | 'after'): FileId {
  const digits = toHexDigits(random).split('');
  for (let i = 0; i < other.length; i++) {
    const bound = parseInt(other[i]!, 16);
    if (order === 'before' ? bound === 0 : bound === 15) {
      digits[i] = other[i]!;
      continue;
    }
    const pick = digits[i]!.charCodeAt(0) % (order === 'before' ? bound : 15 - bound);
    digits[i] = (order === 'before' ? pick : bound + 1 + pick).toString(16);
    break;
  }
  return digits.join('') as FileId;
}

function toHexDigits(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Writes `ms` (clamped to 48 bits) big-endian into the first 6 bytes: ids then sort by age. */
export function stampFileId(bytes: Uint8Array, ms: number): void {
  let t = Math.max(0, Math.min(2 ** 48 - 1, Math.floor(ms)));
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
}
