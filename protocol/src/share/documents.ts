/**
 * The text documents of a share, one text CRDT per file id. Applies the text actions
 * of commits: effective ones normally; ineffective ones (rejected by the access
 * rules) only as deleted characters, so later edits that anchor to them still find
 * their ids, while nothing of them is visible. Those deletions use a replica-local
 * pseudo-author (`HIDDEN_AGENT`) that never leaves this replica.
 */
import { compactOps } from '../text/compact-ops.js';
import { TextDoc, decodeOps, encodeOps, type Hunk, type InsertOp, type TextChange, type TextOp, type VersionVector } from '../text/index.js';
import type { FileId } from './manifest.js';
import type { CommitId } from '../log/ids.js';
import { gitEditAuthor, type GitEdit } from './git-edit.js';
import type { BoundOps } from './forked-ids.js';
import { IdOwners, type InPast } from './id-owners.js';

export type { Hunk, TextChange, TextOp, VersionVector };

const HIDDEN_AGENT = '~hidden';

/**
 * An ineffective commit's op as the replica holds it: an insert as it is (hidden after),
 * a delete as hidden characters in its place. A delete takes ids like an insert, and the
 * author's later ops need those ids held (the text layer holds each author's ids in
 * order): leaving the delete out would leave every later op of its author, and every
 * honest edit anchored on their text, unable to apply.
 */
function heldWithoutEffect(op: TextOp): InsertOp {
  if (op.kind === 'insert') return op;
  return { kind: 'insert', agent: op.agent, seq: op.seq, originLeft: op.target, originRight: null, text: '\u0000'.repeat(op.length) };
}

/** The commit a batch of ops belongs to, as the replica applies it. */
export interface CommitContext {
  readonly commit: CommitId;
  /** Its causal past (and itself): what its ops may refer to (id-owners.ts). */
  readonly inPast: InPast;
  /** Binds a forked author's ids before the batch is applied (forked-ids.ts); honest batches pass unchanged. */
  readonly bind: (ops: readonly TextOp[]) => BoundOps;
}

/** A file's text after a commit that touched it: its version, and the text's length (to find versions by text cheaply). */
interface CommitVersion {
  readonly version: VersionVector;
  readonly length: number;
}

export class ShareDocuments {
  private readonly docs = new Map<FileId, TextDoc>();
  /** Per file, its version after each commit that touched it, in this replica's order. */
  private readonly history = new Map<FileId, CommitVersion[]>();
  /** The commit that brought each character id (refusing references outside a commit's past). */
  private readonly owners = new IdOwners();

  constructor(private readonly agent: string) {}

  get(file: FileId): TextDoc {
    let d = this.docs.get(file);
    if (!d) this.docs.set(file, (d = new TextDoc(this.agent)));
    return d;
  }

  text(file: FileId): string {
    return this.docs.get(file)?.toString() ?? '';
  }

  files(): FileId[] {
    return [...this.docs.keys()];
  }

  /** The version of a file's text: what `textAt` and `editAt` take (empty for a file with no text yet). */
  versionOf(file: FileId): VersionVector {
    return this.docs.get(file)?.version() ?? new Map();
  }

  /** A file's text as it was at `version`, one `versionOf` gave earlier (see TextDoc.textAt). */
  textAt(file: FileId, version: VersionVector): string {
    return (this.docs.get(file) ?? new TextDoc(this.agent)).textAt(version);
  }

  /**
   * The newest version a commit left the file at whose text was `text`, if any: a file
   * found on a member's disk may be an older copy of the share's (a folder copied at
   * some point, a Git clone's HEAD). Only commit boundaries count: states in the middle of
   * a commit never existed on anyone's disk. Lengths are compared before texts.
   */
  findVersionWithText(file: FileId, text: string): VersionVector | undefined {
    const doc = this.docs.get(file);
    if (!doc) return text === '' ? new Map() : undefined;
    if (doc.toString() === text) return doc.version();
    const versions = this.history.get(file) ?? [];
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      if (v.length === text.length && doc.textAt(v.version) === text) return v.version;
    }
    return undefined;
  }

  /** The authors of the characters in `[from, to)` of the file's text at `version`. */
  authorsAt(file: FileId, version: VersionVector, from: number, to: number): Set<string> {
    return (this.docs.get(file) ?? new TextDoc(this.agent)).authorsAt(version, from, to);
  }

  /** Hunks of the text at `version`, made as our own new ops and merged with all since (see TextDoc.editAt). */
  editAt(file: FileId, version: VersionVector, hunks: readonly Hunk[]): TextOp[] {
    return this.get(file).editAt(version, hunks);
  }

  localEdit(file: FileId, offset: number, deleteCount: number, insert: string): TextOp[] {
    const d = this.get(file);
    const ops: TextOp[] = [];
    if (deleteCount > 0) ops.push(...d.delete(offset, deleteCount));
    if (insert.length > 0) ops.push(...d.insert(offset, insert));
    return ops;
  }

  /** Deletes the characters `ops` inserted, as the replica-local HIDDEN_AGENT (an ineffective commit's text). */
  private hide(d: TextDoc, ops: readonly TextOp[]): void {
    let seq = d.version().get(HIDDEN_AGENT) ?? 0;
    const hides: TextOp[] = [];
    for (const o of ops) {
      if (o.kind !== 'insert') continue;
      hides.push({ kind: 'delete', agent: HIDDEN_AGENT, seq, target: { agent: o.agent, seq: o.seq }, length: o.text.length });
      seq += o.text.length;
    }
    d.applyRemote(hides);
  }

  private noteCommitVersion(file: FileId, d: TextDoc): void {
    let versions = this.history.get(file);
    if (!versions) this.history.set(file, (versions = []));
    versions.push({ version: d.version(), length: d.length });
  }

  encodeOps(ops: readonly TextOp[]): Uint8Array {
    return encodeOps(compactOps(ops));
  }

  /**
   * Applies an encoded op batch authored by `authorAgent`, of the commit `at` names. Ops
   * that claim another author are forged, and ops that refer to characters outside the
   * commit's causal past would apply only where those happen to be held: either way the
   * whole batch is ignored. Returns the editor changes.
   */
  applyEncoded(file: FileId, bytes: Uint8Array, authorAgent: string, effective: boolean, at: CommitContext): TextChange[] {
    let decoded: TextOp[];
    try {
      decoded = decodeOps(bytes);
    } catch {
      return [];
    }
    if (decoded.some((o) => o.agent !== authorAgent)) return [];
    const bound = at.bind(decoded);
    if (this.owners.foreignReference(file, bound.ops, at.inPast) !== undefined) return [];
    const changes = this.applyOps(file, bound.ops, effective, at.commit);
    if (changes === undefined) return [];
    bound.keep();
    return changes;
  }

  /**
   * Applies a change Git made (git-edit.ts): its operations, made here as every replica
   * makes them (an author named after the change), once. An edit naming a version this
   * replica never held, or hunks outside that text, has no effect. `commit`: the commit
   * holding it (none yet for our own, which its commit names again when merged).
   */
  applyGitEdit(edit: GitEdit, effective: boolean, commit?: CommitId): TextChange[] {
    let ops: TextOp[];
    try {
      ops = this.get(edit.file).opsOfEditAs(edit.version, edit.hunks, gitEditAuthor(edit));
    } catch {
      return [];
    }
    return this.applyOps(edit.file, ops, effective, commit) ?? [];
  }

  /**
   * Puts back our own edits not yet committed, after a rebuild recomputed the documents
   * from the log (which does not hold them): the text shows them again and our next
   * edit's ids follow theirs, never reusing them.
   */
  restoreLocal(file: FileId, ops: readonly TextOp[]): void {
    try {
      this.get(file).applyRemote(ops);
    } catch {
      // Ops whose anchors are gone cannot be; the log never held them.
    }
  }

  /** Applies a batch (an ineffective one hidden), or returns undefined if it does not apply: then nothing changed. */
  private applyOps(file: FileId, ops: readonly TextOp[], effective: boolean, commit: CommitId | undefined): TextChange[] | undefined {
    const d = this.get(file);
    try {
      let changes: TextChange[] = [];
      if (effective) {
        changes = d.applyRemote(ops);
        this.noteCommitVersion(file, d);
      } else {
        const held = ops.map(heldWithoutEffect);
        d.applyRemote(held);
        this.hide(d, held);
      }
      if (commit !== undefined) this.owners.record(file, commit, ops);
      return changes;
    } catch {
      // Ops that do not apply (references to characters that do not exist) have no effect.
      return undefined;
    }
  }
}
