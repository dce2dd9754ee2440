/**
 * A change Git made to a shared file (a pull, a merge, a checkout of another commit):
 * the hunks that turn the file's text at `version` into the new blob's text. Unlike an
 * ordinary edit, its text operations are not the author's: every replica makes them
 * itself with TextDoc.editAtAs, as an author named after the change (its file, version
 * and hunks), so two members bringing in the same upstream change at the same version
 * make the same operations, and it lands once. A different version or different hunks
 * make a different author: then both land (never two different edits under one name).
 *
 * Encoding (payload action tag 8): 16-byte file id, var n, n x (string agent, varuint
 * ids held), var m, m x (varuint offset, varuint deleteCount, string insert).
 */
import { ByteReader, ByteWriter } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { hash, toHex } from '../crypto/index.js';
import type { Hunk, VersionVector } from '../text/index.js';
import { fileIdFromBytes, fileIdToBytes, type FileId } from './manifest-ops.js';

export interface GitEdit {
  readonly file: FileId;
  readonly version: VersionVector;
  readonly hunks: readonly Hunk[];
}

const MAX_AGENTS = 4096;
const MAX_HUNKS = 1_000_000;
const MAX_TEXT = 64 * 1024 * 1024;

export function writeGitEdit(w: ByteWriter, e: GitEdit): void {
  w.writeFixed(fileIdToBytes(e.file));
  const agents = [...e.version].filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  w.writeVarUint(agents.length);
  for (const [agent, n] of agents) {
    w.writeString(agent);
    w.writeVarUint(n);
  }
  w.writeVarUint(e.hunks.length);
  for (const h of e.hunks) {
    w.writeVarUint(h.offset);
    w.writeVarUint(h.deleteCount);
    w.writeString(h.insert);
  }
}

export function readGitEdit(r: ByteReader): GitEdit {
  const file = fileIdFromBytes(r.readFixed(16));
  const version = new Map<string, number>();
  const n = r.readCount(MAX_AGENTS, 2, 'version agents');
  for (let i = 0; i < n; i++) {
    const agent = r.readString(256, 'agent');
    const count = r.readVarUint();
    if (version.has(agent) || count === 0) throw new DecodeError('malformed', 'a git edit names an agent twice or with no ids');
    version.set(agent, count);
  }
  const m = r.readCount(MAX_HUNKS, 3, 'hunks');
  const hunks: Hunk[] = [];
  let end = 0;
  for (let i = 0; i < m; i++) {
    const h = { offset: r.readVarUint(), deleteCount: r.readVarUint(), insert: r.readString(MAX_TEXT, 'hunk text') };
    if (h.offset < end) throw new DecodeError('malformed', 'git edit hunks overlap or are not ascending');
    end = h.offset + h.deleteCount;
    hunks.push(h);
  }
  return { file, version, hunks };
}

/** The author every replica gives this change's operations: `git~` and 20 hex digits of its hash. */
export function gitEditAuthor(e: GitEdit): string {
  const w = new ByteWriter();
  writeGitEdit(w, e);
  return `git~${toHex(hash(w.finish())).slice(0, 20)}`;
}
