/**
 * Why a commit was not merged. Every rejection carries one of these reasons; a
 * rejected commit changes nothing and its id is remembered so it is not asked for
 * again and again.
 */
export type RejectReason =
  | 'malformed' // bytes do not decode
  | 'too-large' // above the commit size limit
  | 'unknown-topic' // signed for a topic this share never had
  | 'bad-topic-signature'
  | 'undecryptable' // the epoch key does not open it (tampered ciphertext, or a key we do not hold)
  | 'bad-author-signature'
  | 'not-a-member' // the author was never granted anything in the commit's causal past
  | 'not-allowed' // the author's role in the commit's causal past does not allow this action
  | 'revoked' // the author was revoked in the commit's causal past or concurrently with it
  | 'forked' // the author signed two concurrent commits (a fork): its commits from the fork on have no effect
  | 'duplicate' // already merged (a replay)
  | 'missing-dependency' // a dependency never arrived (buffer limit or give-up)
  | 'invalid-payload' // decrypted content does not decode or is inconsistent
  | 'protected-path'; // creates or moves a file into Git's or Weft's own folder (share/paths.ts protectedSegment)

export class CommitRejectedError extends Error {
  override readonly name = 'CommitRejectedError';
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
    readonly commitId?: string,
    /** The author (hex key), when its signature verified before the commit was refused. */
    readonly author?: string,
  ) {
    super(`commit ${commitId ? commitId.slice(0, 10) + ' ' : ''}rejected (${reason}): ${detail}`);
  }
}
