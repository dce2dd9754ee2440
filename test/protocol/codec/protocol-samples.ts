/** Valid encodings of every protocol structure, as seeds for the fuzz test. */
import { convergenceKeys, encodeObjectRef, writeObject } from '../../../protocol/src/chunks/index.js';
import { signingKeyPairFromSeed } from '../../../protocol/src/crypto/index.js';
import { decodeCommitEnvelope } from '../../../protocol/src/log/commit.js';
import { encodeManifestOps } from '../../../protocol/src/share/manifest-codec.js';
import type { FileId } from '../../../protocol/src/share/manifest-ops.js';
import { encodePayload } from '../../../protocol/src/share/payload.js';
import { ShareReplica } from '../../../protocol/src/share/replica.js';
import { encodeSyncMessage } from '../../../protocol/src/sync/index.js';
import { TextDoc, encodeOps, type TextOp } from '../../../protocol/src/text/index.js';

const FILE = '0123456789abcdef0123456789abcdef' as FileId;

let cached: { commits: Uint8Array[]; ops: Uint8Array[]; states: Uint8Array[] } | undefined;

function build() {
  if (cached) return cached;
  const owner = signingKeyPairFromSeed(new Uint8Array(32).fill(3));
  const bob = signingKeyPairFromSeed(new Uint8Array(32).fill(4));
  const { replica, genesis } = ShareReplica.create('fuzz', owner);
  replica.grant(bob.publicKey, 'writer', 'bob');
  const file = replica.createFile('a/b.md', 'text', 'hello world');
  const c1 = replica.flush()!;
  replica.edit(file, 5, 1, '_');
  replica.renameFile(file, 'c.md');
  const c2 = replica.flush()!;
  replica.revoke(bob.publicKey);
  const c3 = replica.flush()!;
  const doc = new TextDoc('fuzzer');
  const ops: TextOp[] = [...doc.insert(0, 'abc😀def'), ...doc.delete(1, 2), ...doc.insert(3, 'xy')];
  const other = new TextDoc('other');
  other.applyRemote(ops);
  const more = other.insert(2, 'zz');
  cached = {
    commits: [genesis.bytes, c1.bytes, c2.bytes, c3.bytes],
    ops: [encodeOps(ops), encodeOps(more), encodeOps([])],
    states: [doc.encodeState(), other.encodeState(), new TextDoc('e').encodeState()],
  };
  return cached;
}

export const commitSamples = () => build().commits;
export const opsSamples = () => build().ops;
export const stateSamples = () => build().states;

export function payloadSamples(): Uint8Array[] {
  const key = new Uint8Array(32).fill(9);
  return [
    encodePayload([{ type: 'text', file: FILE, ops: build().ops[0]! }, { type: 'manifest', op: { type: 'create', file: FILE, path: 'x/y.md', kind: 'text' } }]),
    encodePayload([{ type: 'grant', member: key, role: 'writer', name: 'bob', keyBox: new Uint8Array(80) }, { type: 'revoke', member: key }]),
    encodePayload([{ type: 'epoch', topic: key, boxes: [{ member: key, keyBox: new Uint8Array(90) }] }]),
    encodePayload([{ type: 'genesis', name: 'n', owner: key, topic: key, certificate: new Uint8Array(64), keyBox: new Uint8Array(70) }]),
    encodePayload([{ type: 'object', file: FILE, ref: encodeObjectRef(writeObject(convergenceKeys(key), new Uint8Array(100).fill(1)).root) }]),
  ];
}

export function manifestSamples(): Uint8Array[] {
  return [
    encodeManifestOps([
      { type: 'create', file: FILE, path: 'a.md', kind: 'text' },
      { type: 'rename', file: FILE, path: 'b/c.md' },
      { type: 'delete', file: FILE },
    ]),
  ];
}

export function syncSamples(): Uint8Array[] {
  const commits = build().commits;
  const ids = commits.map((c) => decodeCommitEnvelope(c).id).sort();
  return [
    encodeSyncMessage({ heads: ids.slice(0, 2), answered: 0, more: false, commits: [] }),
    encodeSyncMessage({ heads: ids.slice(2), answered: 1, more: true, need: ids.slice(0, 1), commits: commits.slice(0, 2) }),
  ];
}
