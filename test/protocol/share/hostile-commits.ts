/**
 * A dishonest member's client, for tests: commits built through the protocol API
 * (payload actions, createCommit with the member's own keys) but with what an honest
 * client never sends, such as paths inside `.git/`. The replica refuses to stage those,
 * and the payload encoder refuses to encode them, so each path is encoded under a
 * placeholder of the same UTF-8 length and the bytes swapped afterwards.
 */
import { toHex, type SigningKeyPair } from '../../../protocol/src/crypto/index.js';
import { createCommit, type CommitEnvelope } from '../../../protocol/src/log/commit.js';
import { stampFileId, type FileId } from '../../../protocol/src/share/manifest-ops.js';
import { encodePayload, type Action } from '../../../protocol/src/share/payload.js';
import { agentOf, type ShareReplica } from '../../../protocol/src/share/replica.js';
import { TextDoc, encodeOps } from '../../../protocol/src/text/index.js';

const utf8 = new TextEncoder();

/** A file the dishonest member writes: a path and its text. */
export interface HostileFile {
  path: string;
  text: string;
}

function placeholderFor(path: string, index: number): string {
  const length = utf8.encode(path).length;
  const tag = `x${index}-`;
  if (length < tag.length + 1) throw new RangeError(`path ${path} too short for a placeholder`);
  return tag + 'p'.repeat(length - tag.length);
}

function replaceBytes(haystack: Uint8Array, needle: Uint8Array, replacement: Uint8Array): void {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    haystack.set(replacement, i);
    return;
  }
  throw new Error('placeholder not found in the payload');
}

/**
 * A commit by `author` (a writer of `replica`'s share, holding its keys) creating each
 * file at its path with its text, on top of `replica`'s heads. Not merged anywhere.
 */
export function craftCreates(replica: ShareReplica, author: SigningKeyPair, files: readonly HostileFile[], createdAt = Date.now()): CommitEnvelope {
  const epoch = replica.currentEpoch();
  if (!epoch?.topicSecret) throw new Error('the author holds no writable epoch');
  const agent = agentOf(toHex(author.publicKey));
  const actions: Action[] = [];
  files.forEach((f, i) => {
    // Stamped with the time of creation, as every client's ids are (ShareReplica.createFile).
    const id = crypto.getRandomValues(new Uint8Array(16));
    stampFileId(id, createdAt);
    const file = toHex(id) as FileId;
    actions.push({ type: 'manifest', op: { type: 'create', file, path: placeholderFor(f.path, i), kind: 'text' } });
    actions.push({ type: 'text', file, ops: encodeOps(new TextDoc(agent).insert(0, f.text)) });
  });
  const payload = encodePayload(actions);
  files.forEach((f, i) => replaceBytes(payload, utf8.encode(placeholderFor(f.path, i)), utf8.encode(f.path)));
  return createCommit({ topic: { publicKey: epoch.topic, secretKey: epoch.topicSecret }, epochKey: epoch.key, author, deps: replica.heads(), payload });
}
