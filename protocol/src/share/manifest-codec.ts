/**
 * Wire format of manifest ops (inside a commit's encrypted payload).
 *
 *   op       = u8 tag, 16 bytes FileId, [path]
 *              tag 0 = create text, 1 = create binary, 2 = create folder, 3 = rename
 *              (each followed by path), 4 = delete (no path)
 *   path     = varuint byte length (<= 4096), UTF-8 bytes; must already be in normal
 *              form (paths.ts), so every path has exactly one encoding
 *   ops      = u8 version (1), varuint count, op * count, nothing after
 *
 * Decoders throw DecodeError only: an unknown tag or version, a path that is not in
 * normal form, truncated input and trailing bytes are all refused.
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js';
import { DecodeError, decodeSafely } from '../codec/errors.js';
import { type EntryKind, FILE_ID_BYTES, type ManifestOp, checkManifestOp, fileIdFromBytes, fileIdToBytes } from './manifest-ops.js';
import { MAX_PATH_BYTES, ProtectedPathError, pathProblem } from './paths.js';

export const MANIFEST_OPS_VERSION = 1;

/** At most this many ops in one message (a folder rename is one op per entry). */
export const MAX_MANIFEST_OPS = 1_000_000;

const CREATE_TAG: Record<EntryKind, number> = { text: 0, binary: 1, folder: 2 };
const CREATE_KIND: readonly EntryKind[] = ['text', 'binary', 'folder'];
const TAG_RENAME = 3;
const TAG_DELETE = 4;

export function writeManifestOp(w: ByteWriter, op: ManifestOp): void {
  checkManifestOp(op); // never put on the wire what no replica would accept
  w.writeU8(op.type === 'create' ? CREATE_TAG[op.kind] : op.type === 'rename' ? TAG_RENAME : TAG_DELETE);
  w.writeFixed(fileIdToBytes(op.file));
  if (op.type !== 'delete') w.writeString(op.path);
}

function readPath(r: ByteReader): string {
  const path = r.readString(MAX_PATH_BYTES, 'path');
  const problem = pathProblem(path);
  if (problem === 'protected') throw new ProtectedPathError(path);
  if (problem) throw new DecodeError('malformed', `path not in normal form (${problem})`);
  return path;
}

export function readManifestOp(r: ByteReader): ManifestOp {
  const tag = r.readU8();
  if (tag > TAG_DELETE) throw new DecodeError('malformed', `unknown manifest op tag ${tag}`);
  const file = fileIdFromBytes(r.readFixed(FILE_ID_BYTES));
  if (tag === TAG_DELETE) return { type: 'delete', file };
  const path = readPath(r);
  if (tag === TAG_RENAME) return { type: 'rename', file, path };
  return { type: 'create', file, path, kind: CREATE_KIND[tag]! };
}

export function encodeManifestOps(ops: readonly ManifestOp[]): Uint8Array {
  if (ops.length > MAX_MANIFEST_OPS) throw new RangeError(`${ops.length} manifest ops exceed the limit ${MAX_MANIFEST_OPS}`);
  const w = new ByteWriter();
  w.writeU8(MANIFEST_OPS_VERSION);
  w.writeVarUint(ops.length);
  for (const op of ops) writeManifestOp(w, op);
  return w.finish();
}

export function decodeManifestOps(bytes: Uint8Array): ManifestOp[] {
  return decodeSafely('manifest ops', () => {
    const r = new ByteReader(bytes);
    const version = r.readU8();
    if (version !== MANIFEST_OPS_VERSION) throw new DecodeError('version', `manifest ops version ${version}`);
    const n = r.readCount(MAX_MANIFEST_OPS, 1 + FILE_ID_BYTES, 'manifest op count');
    const ops: ManifestOp[] = [];
    for (let i = 0; i < n; i++) ops.push(readManifestOp(r));
    r.expectEnd('manifest ops');
    return ops;
  });
}
