/**
 * The plaintext payload of a commit: a list of actions on one share.
 *
 * Wire format (version 1):
 *   u8 version = 1, var action count, then per action a u8 tag and its fields:
 *   1 text      16-byte file id, bytes (encoded text operations, protocol/src/text)
 *   2 manifest  a manifest operation (protocol/src/share/manifest-codec)
 *   3 grant     32-byte member key, u8 role (0 reader, 1 writer, 2 admin), string name,
 *               bytes key box sealed to the member (every epoch's keys it may hold)
 *   4 revoke    32-byte member key
 *   5 epoch     32-byte new topic public key, var n, n x (32-byte member key, bytes key box):
 *               a key rotation; each remaining member gets the new epoch sealed to it
 *   6 genesis   string share name, 32-byte owner key, 32-byte first topic key,
 *               64-byte share certificate (the share key's signature over
 *               "weft/genesis/1" || owner || topic), bytes key box sealed to the owner
 *   7 object    16-byte file id, bytes: an encoded ObjectRef (chunks/codec.ts): the
 *               binary file's new contents (encrypted chunks, fetched by id)
 *   8 gitEdit   a change Git made to a text file, made the same by every replica (git-edit.ts)
 *   9 branch    string branch name, string commit (hex object id, '' unknown): the Git
 *               branch the share follows (owner and admins only)
 *  10 handover  32-byte member key, var n, n x 32-byte topic keys, bytes key box sealed to
 *               the member holding those epochs: keys a member lacks (a rotation that left
 *               it out, or one concurrent with its grant), handed over by a writer
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js';
import { DecodeError, decodeSafely } from '../codec/errors.js';
import { decodeObjectRef, OBJECT_REF_BYTES_MAX } from '../chunks/codec.js';
import { readGitEdit, writeGitEdit, type GitEdit } from './git-edit.js';
import { readManifestOp, writeManifestOp } from './manifest-codec.js';
import { fileIdFromBytes, fileIdToBytes, type FileId, type ManifestOp } from './manifest-ops.js';
import { ROLE_CODES, type GrantableRole } from './roles.js';

export type Action =
  | { type: 'text'; file: FileId; ops: Uint8Array }
  | { type: 'manifest'; op: ManifestOp }
  | { type: 'grant'; member: Uint8Array; role: GrantableRole; name: string; keyBox: Uint8Array }
  | { type: 'revoke'; member: Uint8Array }
  | { type: 'epoch'; topic: Uint8Array; boxes: Array<{ member: Uint8Array; keyBox: Uint8Array }> }
  | { type: 'genesis'; name: string; owner: Uint8Array; topic: Uint8Array; certificate: Uint8Array; keyBox: Uint8Array }
  | { type: 'object'; file: FileId; ref: Uint8Array }
  | { type: 'gitEdit'; edit: GitEdit }
  | { type: 'branch'; name: string; commit: string }
  | { type: 'handover'; member: Uint8Array; topics: Uint8Array[]; keyBox: Uint8Array };

export const PAYLOAD_VERSION = 1;
const MAX_ACTIONS = 100_000;
const MAX_NAME = 256;
const MAX_BOX = 64 * 1024;
const MAX_MEMBERS = 10_000;
const MAX_EPOCHS = 10_000;

export function encodePayload(actions: readonly Action[]): Uint8Array {
  const w = new ByteWriter(256);
  w.writeU8(PAYLOAD_VERSION);
  w.writeVarUint(actions.length);
  for (const a of actions) {
    switch (a.type) {
      case 'text':
        w.writeU8(1);
        w.writeFixed(fileIdToBytes(a.file));
        w.writeBytes(a.ops);
        break;
      case 'manifest':
        w.writeU8(2);
        writeManifestOp(w, a.op);
        break;
      case 'grant':
        w.writeU8(3);
        w.writeFixed(a.member);
        w.writeU8(ROLE_CODES.indexOf(a.role));
        w.writeString(a.name);
        w.writeBytes(a.keyBox);
        break;
      case 'revoke':
        w.writeU8(4);
        w.writeFixed(a.member);
        break;
      case 'epoch':
        w.writeU8(5);
        w.writeFixed(a.topic);
        w.writeVarUint(a.boxes.length);
        for (const b of a.boxes) {
          w.writeFixed(b.member);
          w.writeBytes(b.keyBox);
        }
        break;
      case 'object':
        w.writeU8(7);
        w.writeFixed(fileIdToBytes(a.file));
        w.writeBytes(a.ref);
        break;
      case 'gitEdit':
        w.writeU8(8);
        writeGitEdit(w, a.edit);
        break;
      case 'branch':
        w.writeU8(9);
        w.writeString(a.name);
        w.writeString(a.commit);
        break;
      case 'handover':
        w.writeU8(10);
        w.writeFixed(a.member);
        w.writeVarUint(a.topics.length);
        for (const t of a.topics) w.writeFixed(t);
        w.writeBytes(a.keyBox);
        break;
      case 'genesis':
        w.writeU8(6);
        w.writeString(a.name);
        w.writeFixed(a.owner);
        w.writeFixed(a.topic);
        w.writeFixed(a.certificate);
        w.writeBytes(a.keyBox);
        break;
    }
  }
  return w.finish();
}

function readAction(r: ByteReader): Action {
  const tag = r.readU8();
  switch (tag) {
    case 1:
      return { type: 'text', file: fileIdFromBytes(r.readFixed(16)), ops: r.readBytes(r.remaining, 'text ops') };
    case 2:
      return { type: 'manifest', op: readManifestOp(r) };
    case 3: {
      const member = r.readFixed(32);
      const code = r.readU8();
      const role = ROLE_CODES[code];
      if (role === undefined || role === 'owner') throw new DecodeError('malformed', `grant of role code ${code}`);
      return { type: 'grant', member, role, name: r.readString(MAX_NAME, 'member name'), keyBox: r.readBytes(MAX_BOX, 'key box') };
    }
    case 4:
      return { type: 'revoke', member: r.readFixed(32) };
    case 5: {
      const topic = r.readFixed(32);
      const n = r.readCount(MAX_MEMBERS, 33, 'key boxes');
      const boxes: Array<{ member: Uint8Array; keyBox: Uint8Array }> = [];
      for (let i = 0; i < n; i++) boxes.push({ member: r.readFixed(32), keyBox: r.readBytes(MAX_BOX, 'key box') });
      return { type: 'epoch', topic, boxes };
    }
    case 6:
      return {
        type: 'genesis',
        name: r.readString(MAX_NAME, 'share name'),
        owner: r.readFixed(32),
        topic: r.readFixed(32),
        certificate: r.readFixed(64),
        keyBox: r.readBytes(MAX_BOX, 'key box'),
      };
    case 7: {
      const file = fileIdFromBytes(r.readFixed(16));
      const ref = r.readBytes(OBJECT_REF_BYTES_MAX, 'object ref');
      decodeObjectRef(ref); // validates
      return { type: 'object', file, ref };
    }
    case 8:
      return { type: 'gitEdit', edit: readGitEdit(r) };
    case 9:
      return { type: 'branch', name: r.readString(MAX_NAME, 'branch name'), commit: r.readString(128, 'commit') };
    case 10: {
      const member = r.readFixed(32);
      const n = r.readCount(MAX_EPOCHS, 32, 'handed-over topics');
      const topics: Uint8Array[] = [];
      for (let i = 0; i < n; i++) topics.push(r.readFixed(32));
      return { type: 'handover', member, topics, keyBox: r.readBytes(MAX_BOX, 'key box') };
    }
    default:
      throw new DecodeError('malformed', `unknown action tag ${tag}`);
  }
}

/** Decodes a payload. Throws DecodeError only. */
export function decodePayload(bytes: Uint8Array): Action[] {
  return decodeSafely('payload', () => {
    const r = new ByteReader(bytes);
    const v = r.readU8();
    if (v !== PAYLOAD_VERSION) throw new DecodeError('version', `payload version ${v}`);
    const n = r.readCount(MAX_ACTIONS, 1, 'actions');
    const out: Action[] = [];
    for (let i = 0; i < n; i++) out.push(readAction(r));
    r.expectEnd('payload');
    return out;
  });
}
