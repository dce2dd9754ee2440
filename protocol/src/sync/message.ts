/**
 * The sync message, the only thing two sync sessions say to each other.
 *
 * Wire format (version 1):
 *   u8   kind = 0x53 ('S')
 *   u8   version = 1
 *   u8   flags: 0x01 have, 0x02 need, 0x04 commits, 0x08 more (another part of this
 *        batch follows; only with commits); other bits must be 0
 *   var  answered: how many of the receiver's requests the sender has fully answered
 *        (a request is a message with have or need; never decreases)
 *   var  number of heads, then the sender's current heads, 32 bytes each
 *   if have:    var number of lastSync ids, then the ids (32 bytes each): the heads the
 *               sender believes the receiver had at their last sync;
 *               then a Bloom filter (bloom.ts) of every commit the sender has that is
 *               not an ancestor of those lastSync ids
 *   if need:    var count (>= 1), then ids the sender lacks and asks for, with whatever
 *               of their past it is not known to have
 *   if commits: var count (>= 1), then each commit as var length (>= 1) + its bytes
 * Id lists are strictly ascending (one encoding per message). Counts and sizes are
 * bounded by SYNC_LIMITS, and every count is checked against the bytes left, so a
 * hostile message cannot make the decoder allocate more than its own size.
 */
import { ByteWriter, type ByteReader } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { decodeWith, readHeader, writeHeader } from '../codec/message.js';
import { ID_BYTES, commitIdFromBytes, commitIdToBytes, type CommitId } from '../log/ids.js';
import { CommitBloom } from './bloom.js';

export const SYNC_MESSAGE_KIND = 0x53;
export const SYNC_MESSAGE_VERSION = 1;

export const SYNC_LIMITS = {
  /** Largest message the decoder reads (senders split at 1 MiB by default). */
  maxMessageBytes: 16 << 20,
  /** Heads, lastSync ids and needed ids, each list. */
  maxIds: 4096,
  /** One commit (the log allows 1 MiB; this only keeps the decoder bounded). */
  maxCommitBytes: 4 << 20,
  maxBloomBytes: 8 << 20,
} as const;

const FLAG_HAVE = 0x01;
const FLAG_NEED = 0x02;
const FLAG_COMMITS = 0x04;
const FLAG_MORE = 0x08;
const ID_PATTERN = /^[0-9a-f]{64}$/;
const KNOWN_FLAGS = FLAG_HAVE | FLAG_NEED | FLAG_COMMITS | FLAG_MORE;

export interface SyncHave {
  readonly lastSync: readonly CommitId[];
  readonly bloom: CommitBloom;
}

export interface SyncMessage {
  readonly heads: readonly CommitId[];
  readonly answered: number;
  /** More parts of this batch follow. */
  readonly more: boolean;
  readonly have?: SyncHave;
  readonly need?: readonly CommitId[];
  readonly commits: readonly Uint8Array[];
}

export function encodeSyncMessage(msg: SyncMessage): Uint8Array {
  const w = new ByteWriter(256 + msg.commits.reduce((n, c) => n + c.length + 4, 0));
  writeSyncPrefix(w, msg);
  if (msg.commits.length > 0) {
    w.writeVarUint(msg.commits.length);
    for (const c of msg.commits) {
      if (c.length === 0 || c.length > SYNC_LIMITS.maxCommitBytes) throw new RangeError(`commit of ${c.length} bytes cannot be synced`);
      w.writeBytes(c);
    }
  }
  return w.finish();
}

/** Everything before the commits; the session uses its length to split batches. */
export function writeSyncPrefix(w: ByteWriter, msg: SyncMessage): void {
  if (msg.more && msg.commits.length === 0) throw new RangeError('a message with "more" must carry commits');
  writeHeader(w, SYNC_MESSAGE_KIND, SYNC_MESSAGE_VERSION);
  const need = msg.need && msg.need.length > 0 ? msg.need : undefined;
  w.writeU8(
    (msg.have ? FLAG_HAVE : 0) | (need ? FLAG_NEED : 0) | (msg.commits.length > 0 ? FLAG_COMMITS : 0) | (msg.more ? FLAG_MORE : 0),
  );
  w.writeVarUint(msg.answered);
  writeIds(w, msg.heads, 'heads');
  if (msg.have) {
    writeIds(w, msg.have.lastSync, 'lastSync');
    msg.have.bloom.write(w);
  }
  if (need) writeIds(w, need, 'need');
}

export function decodeSyncMessage(bytes: Uint8Array): SyncMessage {
  return decodeWith(
    bytes,
    SYNC_LIMITS.maxMessageBytes,
    (r) => {
      readHeader(r, SYNC_MESSAGE_KIND, [SYNC_MESSAGE_VERSION]);
      const flags = r.readU8();
      if ((flags & ~KNOWN_FLAGS) !== 0) throw new DecodeError('malformed', `unknown sync flags 0x${flags.toString(16)}`);
      if (flags & FLAG_MORE && !(flags & FLAG_COMMITS)) throw new DecodeError('malformed', '"more" without commits');
      const answered = r.readVarUint();
      const heads = readIds(r, 0, 'heads');
      let have: SyncHave | undefined;
      if (flags & FLAG_HAVE) {
        const lastSync = readIds(r, 0, 'lastSync');
        have = { lastSync, bloom: CommitBloom.read(r, SYNC_LIMITS.maxBloomBytes) };
      }
      const need = flags & FLAG_NEED ? readIds(r, 1, 'need') : undefined;
      const commits: Uint8Array[] = [];
      if (flags & FLAG_COMMITS) {
        const n = r.readCount(SYNC_LIMITS.maxMessageBytes, 2, 'commits');
        if (n === 0) throw new DecodeError('malformed', 'empty commit list');
        for (let i = 0; i < n; i++) {
          const c = r.readBytes(SYNC_LIMITS.maxCommitBytes, 'commit');
          if (c.length === 0) throw new DecodeError('malformed', 'empty commit');
          commits.push(c.slice());
        }
      }
      const msg: SyncMessage = { heads, answered, more: (flags & FLAG_MORE) !== 0, commits };
      return { ...msg, ...(have ? { have } : {}), ...(need ? { need } : {}) };
    },
    'sync message',
  );
}

function writeIds(w: ByteWriter, ids: readonly CommitId[], what: string): void {
  if (ids.length > SYNC_LIMITS.maxIds) throw new RangeError(`${ids.length} ${what} ids exceed the limit of ${SYNC_LIMITS.maxIds}`);
  w.writeVarUint(ids.length);
  let prev = '';
  for (const id of ids) {
    if (id <= prev) throw new RangeError(`${what} ids must be strictly ascending`);
    prev = id;
    if (!ID_PATTERN.test(id)) throw new RangeError(`bad commit id ${id}`);
    w.writeFixed(commitIdToBytes(id));
  }
}

function readIds(r: ByteReader, min: number, what: string): CommitId[] {
  const n = r.readCount(SYNC_LIMITS.maxIds, ID_BYTES, what);
  if (n < min) throw new DecodeError('malformed', `empty ${what} list`);
  const out: CommitId[] = [];
  for (let i = 0; i < n; i++) {
    const id = commitIdFromBytes(r.readFixed(ID_BYTES));
    if (i > 0 && id <= out[i - 1]!) throw new DecodeError('malformed', `${what} ids are not strictly ascending`);
    out.push(id);
  }
  return out;
}
