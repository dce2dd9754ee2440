/**
 * A run: consecutive ids agent:seq .. agent:seq+len-1 that sit next to each other in the
 * document, were typed one after another (char i's left origin is char i-1) and share
 * one right origin and one deleted flag. Runs split on demand (an insert inside, a
 * partial delete) and merge back when they become compatible again.
 *
 * Agents are interned to small ints per replica; -1 as an origin agent means "none"
 * (document start for the left origin, document end for the right origin).
 */
export class Run {
  blk: Block;
  constructor(
    public agent: number,
    public seq: number,
    public len: number,
    /** Left origin of the first char (later chars: the previous char). */
    public olAgent: number,
    public olSeq: number,
    /** Right origin shared by every char of the run. */
    public orAgent: number,
    public orSeq: number,
    public deleted: boolean,
  ) {
    this.blk = NO_BLOCK;
  }
}

/** A slice of the document's run list with its visible length cached. */
export class Block {
  runs: Run[] = [];
  /** Visible (non-deleted) UTF-16 units in this block. */
  vis = 0;
  /** Index of this block in the block list (kept current on block splits). */
  idx = 0;
}

const NO_BLOCK = new Block();

/** True when b's first char was typed right after a's last one (deleted flags aside). */
export function continues(a: Run, b: Run): boolean {
  return (
    a.agent === b.agent &&
    b.seq === a.seq + a.len &&
    b.olAgent === a.agent &&
    b.olSeq === b.seq - 1 &&
    b.orAgent === a.orAgent &&
    b.orSeq === a.orSeq
  );
}

/** True when `b` can be appended to `a` to form one run. */
export function canAppend(a: Run, b: Run): boolean {
  return a.deleted === b.deleted && continues(a, b);
}
