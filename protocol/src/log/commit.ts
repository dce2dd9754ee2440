/**
 * Signed, encrypted commits.
 *
 * Wire format (version 1), the "envelope" — what brokers see and check:
 *   u8   kind = 0x43 ('C')
 *   u8   version = 1
 *   32   topic public key (Ed25519; one topic per share key epoch)
 *   var  number of dependencies n (<= MAX_DEPS), then n x 32-byte commit ids, strictly ascending
 *   var  length of the ciphertext, then the ciphertext: XChaCha20-Poly1305 nonce(24) || ct || tag(16),
 *        encrypted with the epoch key, AAD = topic || dependency ids
 *   64   topic signature (Ed25519, topic private key) over every byte before it
 * The commit id is BLAKE3-256 of the whole encoding, so changing or dropping a
 * commit changes the id of everything that depends on it.
 *
 * The plaintext "body" — only members see it:
 *   u8   version = 1
 *   32   author public key (Ed25519)
 *   var  payload length, payload (the share layer's actions)
 *   64   author signature over  "weft/commit/1" || topic || dependency ids || payload
 * The author's identity and signature are inside the ciphertext, so a broker routes
 * authorised traffic (topic signature) without learning who wrote it (LoFiRe).
 */
import { ByteReader, ByteWriter, concatBytes } from '../codec/bytes.js';
import { DecodeError, decodeSafely } from '../codec/errors.js';
import {
  DecryptError,
  decrypt,
  encrypt,
  hash,
  sign,
  verify,
  type RandomSource,
  type SigningKeyPair,
} from '../crypto/index.js';
import { CommitRejectedError } from './errors.js';
import { ID_BYTES, commitIdFromBytes, commitIdToBytes, type CommitId } from './ids.js';

export const COMMIT_KIND = 0x43;
export const COMMIT_VERSION = 1;
export const MAX_DEPS = 256;
export const DEFAULT_MAX_COMMIT_BYTES = 1 << 20;
const KEY_BYTES = 32;
const SIG_BYTES = 64;
const AUTHOR_DOMAIN = new TextEncoder().encode('weft/commit/1');

/** A decoded envelope. `signed` is the byte range the topic signature covers. */
export interface CommitEnvelope {
  readonly id: CommitId;
  readonly bytes: Uint8Array;
  readonly topic: Uint8Array;
  readonly deps: readonly CommitId[];
  readonly depBytes: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly topicSignature: Uint8Array;
  readonly signedLength: number;
}

export interface CommitBody {
  readonly author: Uint8Array;
  readonly payload: Uint8Array;
  readonly authorSignature: Uint8Array;
}

export interface CreateCommitInit {
  topic: SigningKeyPair;
  epochKey: Uint8Array;
  author: SigningKeyPair;
  deps: readonly CommitId[];
  payload: Uint8Array;
  random?: RandomSource;
}

function sortedUniqueDeps(deps: readonly CommitId[]): CommitId[] {
  return [...new Set(deps)].sort();
}

function concatDeps(deps: readonly CommitId[]): Uint8Array {
  const out = new Uint8Array(deps.length * ID_BYTES);
  deps.forEach((d, i) => out.set(commitIdToBytes(d), i * ID_BYTES));
  return out;
}

function authorMessage(topic: Uint8Array, depBytes: Uint8Array, payload: Uint8Array): Uint8Array[] {
  return [AUTHOR_DOMAIN, topic, depBytes, payload];
}


/** Builds, encrypts and signs a commit. */
export function createCommit(init: CreateCommitInit): CommitEnvelope {
  const deps = sortedUniqueDeps(init.deps);
  if (deps.length > MAX_DEPS) throw new RangeError(`a commit may name at most ${MAX_DEPS} dependencies`);
  const depBytes = concatDeps(deps);
  const topicPk = init.topic.publicKey;
  const authorSignature = sign(init.author.secretKey, concatBytes(authorMessage(topicPk, depBytes, init.payload)));

  const body = new ByteWriter(init.payload.length + 128);
  body.writeU8(COMMIT_VERSION);
  body.writeFixed(init.author.publicKey);
  body.writeBytes(init.payload);
  body.writeFixed(authorSignature);
  const aad = concatBytes([topicPk, depBytes]);
  const ciphertext = encrypt(init.epochKey, body.finish(), aad, init.random);

  const w = new ByteWriter(ciphertext.length + depBytes.length + 128);
  w.writeU8(COMMIT_KIND);
  w.writeU8(COMMIT_VERSION);
  w.writeFixed(topicPk);
  w.writeVarUint(deps.length);
  w.writeFixed(depBytes);
  w.writeBytes(ciphertext);
  const signedLength = w.length;
  const unsigned = w.finish();
  const topicSignature = sign(init.topic.secretKey, unsigned);
  w.writeFixed(topicSignature);
  const bytes = w.finish();
  return {
    id: commitIdFromBytes(hash(bytes)),
    bytes,
    topic: topicPk,
    deps,
    depBytes,
    ciphertext,
    topicSignature,
    signedLength,
  };
}

/** Decodes an envelope without checking any signature. Throws DecodeError only. */
export function decodeCommitEnvelope(bytes: Uint8Array, maxBytes = DEFAULT_MAX_COMMIT_BYTES): CommitEnvelope {
  if (bytes.length > maxBytes) throw new DecodeError('too-large', `commit of ${bytes.length} bytes exceeds ${maxBytes}`);
  return decodeSafely('commit', () => {
    const r = new ByteReader(bytes);
    if (r.readU8() !== COMMIT_KIND) throw new DecodeError('malformed', 'not a commit');
    const version = r.readU8();
    if (version !== COMMIT_VERSION) throw new DecodeError('version', `commit version ${version} is not supported`);
    const topic = r.readFixed(KEY_BYTES);
    const n = r.readCount(MAX_DEPS, ID_BYTES, 'dependencies');
    const depBytes = r.readFixed(n * ID_BYTES);
    const deps: CommitId[] = [];
    for (let i = 0; i < n; i++) {
      const id = commitIdFromBytes(depBytes.subarray(i * ID_BYTES, (i + 1) * ID_BYTES));
      if (i > 0 && id <= deps[i - 1]!) throw new DecodeError('malformed', 'dependencies not strictly ascending');
      deps.push(id);
    }
    const ciphertext = r.readBytes(maxBytes, 'ciphertext');
    const signedLength = r.offset;
    const topicSignature = r.readFixed(SIG_BYTES);
    r.expectEnd('commit');
    return {
      id: commitIdFromBytes(hash(bytes)),
      bytes,
      topic,
      deps,
      depBytes,
      ciphertext,
      topicSignature,
      signedLength,
    };
  });
}

/** What a broker checks: the topic signature. */
export function verifyTopicSignature(env: CommitEnvelope): boolean {
  return verify(env.topic, env.bytes.subarray(0, env.signedLength), env.topicSignature);
}

/** Decrypts and checks the author signature. Throws CommitRejectedError. */
export function openCommitBody(env: CommitEnvelope, epochKey: Uint8Array): CommitBody {
  let plain: Uint8Array;
  try {
    plain = decrypt(epochKey, env.ciphertext, concatBytes([env.topic, env.depBytes]));
  } catch (err) {
    if (err instanceof DecryptError) throw new CommitRejectedError('undecryptable', 'ciphertext does not open with the epoch key', env.id);
    throw err;
  }
  let body: CommitBody;
  try {
    body = decodeSafely('commit body', () => {
      const r = new ByteReader(plain);
      const v = r.readU8();
      if (v !== COMMIT_VERSION) throw new DecodeError('version', `commit body version ${v}`);
      const author = r.readFixed(KEY_BYTES);
      const payload = r.readBytes(plain.length, 'payload');
      const authorSignature = r.readFixed(SIG_BYTES);
      r.expectEnd('commit body');
      return { author, payload, authorSignature };
    });
  } catch (err) {
    throw new CommitRejectedError('malformed', err instanceof Error ? err.message : String(err), env.id);
  }
  if (!verify(body.author, concatBytes(authorMessage(env.topic, env.depBytes, body.payload)), body.authorSignature)) {
    throw new CommitRejectedError('bad-author-signature', 'the author signature does not verify', env.id);
  }
  return body;
}
