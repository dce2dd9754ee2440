/** What a ShareReplica reports: merge results, changes for editors, and its typed refusal. */
import type { RejectReason } from '../log/errors.js';
import type { CommitId } from '../log/ids.js';
import type { TextChange } from './documents.js';
import type { FileId, ManifestChange } from './manifest.js';

/** One version of a binary file: the commit that set it and its encoded ObjectRef. */
export interface BinaryVersion {
  readonly commit: CommitId;
  readonly ref: Uint8Array;
}

export type ReplicaChange =
  | { type: 'text'; file: FileId; changes: TextChange[] }
  | { type: 'binary'; file: FileId; versions: readonly BinaryVersion[] }
  | { type: 'manifest'; change: ManifestChange }
  | { type: 'members' }
  | { type: 'reset' };

export type MergeResult =
  /** Stored; without effect (`reason`: its author was revoked, or lacks the role) when `effective` is false. */
  | { status: 'merged'; id: CommitId; effective: boolean; reason?: RejectReason; author?: string }
  | { status: 'pending'; id: CommitId; missing: CommitId[] }
  | { status: 'duplicate'; id: CommitId }
  | { status: 'rejected'; id?: CommitId; reason: RejectReason; detail: string; author?: string };

export interface ReceiveOutcome {
  results: MergeResult[];
  changes: ReplicaChange[];
}

export class NotAllowedError extends Error {
  override readonly name = 'NotAllowedError';
}

