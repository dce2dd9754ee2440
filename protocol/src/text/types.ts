/**
 * Public value types of the text CRDT: character ids, operations, editor changes,
 * version vectors, anchors, and the typed errors of remote application.
 *
 * Every character ever inserted has an id (agent, seq): `agent` is the author id
 * string, `seq` counts that author's ids from 0. Every operation consumes one id per
 * character it touches: an insert of n UTF-16 units takes ids seq..seq+n-1, a delete
 * of n units takes n ids too (so a version vector names deletes as exactly as
 * inserts and `opsSince` is exact).
 */

export interface Id {
  readonly agent: string;
  readonly seq: number;
}

/**
 * Insert `text` (ids agent:seq.. agent:seq+text.length-1, one per UTF-16 unit) between
 * `originLeft` (the character just left of it when it was typed; null = document start)
 * and `originRight` (the item, possibly deleted, that followed originLeft then; null = end).
 */
export interface InsertOp {
  readonly kind: 'insert';
  readonly agent: string;
  readonly seq: number;
  readonly originLeft: Id | null;
  readonly originRight: Id | null;
  readonly text: string;
}

/** Delete the characters target.seq .. target.seq+length-1 of target.agent (ids agent:seq.. of this op). */
export interface DeleteOp {
  readonly kind: 'delete';
  readonly agent: string;
  readonly seq: number;
  readonly target: Id;
  readonly length: number;
}

export type TextOp = InsertOp | DeleteOp;

/** An editor edit in UTF-16 offsets, relative to the text after the previous change of the same batch. */
export interface TextChange {
  readonly offset: number;
  readonly deleteCount: number;
  readonly insert: string;
}

/**
 * One edit of a diff between two texts: delete `deleteCount` UTF-16 units at `offset` and
 * insert `insert` there. Unlike TextChange, every hunk of a list is in the coordinates of
 * the same old text; a list is sorted ascending and non-overlapping, so applying it from
 * the last hunk to the first turns the old text into the new one.
 */
export interface Hunk {
  readonly offset: number;
  readonly deleteCount: number;
  readonly insert: string;
}

/** agent -> number of ids of that agent this replica holds (ids 0..n-1). */
export type VersionVector = ReadonlyMap<string, number>;

/**
 * A position that follows the text. bias 'before': glued to the character before
 * the position (text inserted exactly there lands after the anchor); 'after': glued to
 * the character after it (inserted text lands before the anchor). `id` null means the
 * document start ('before') or end ('after').
 */
export interface Anchor {
  readonly id: Id | null;
  readonly bias: 'before' | 'after';
}

/** An operation needs ids this replica does not hold yet; apply it after its dependencies. Nothing was applied. */
export class MissingDependencyError extends Error {
  override readonly name = 'MissingDependencyError';
  constructor(
    readonly missing: Id,
    message: string,
  ) {
    super(message);
  }
}

/** An operation that can never apply (wrong shape, references an id that is not a character). Nothing was applied. */
export class InvalidOpError extends Error {
  override readonly name = 'InvalidOpError';
}
