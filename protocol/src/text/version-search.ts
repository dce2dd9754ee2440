/**
 * Which earlier version of a document had a given text: a file found on a member's disk
 * that equals some version of the share's file (an older copy, or the text a Git clone's
 * HEAD holds) gives the mirror a common version to merge from, instead of treating the
 * file as unrelated.
 *
 * The document's history is replayed into a scratch replica one character at a time
 * (the log hands out typing runs whole, and a commit boundary may fall inside a run:
 * inserts are split into one op per code point, each after the one before, and deletes
 * into one op per unit), comparing the text whenever its length matches. The search
 * stops after `maxUnits` units, a bound for documents with very long histories.
 */
import { TextDoc } from './text-doc.js';
import type { TextOp, VersionVector } from './types.js';

/** The newest version of `doc` (in this replica's order of arrival) whose text is `target`. */
export function findVersionWithText(doc: TextDoc, target: string, maxUnits = 2_000_000): VersionVector | undefined {
  if (doc.toString() === target) return doc.version();
  const scratch = new TextDoc(`${doc.agent}~search`);
  let found: VersionVector | undefined = target.length === 0 ? new Map() : undefined;
  let units = 0;
  for (const op of doc.opsSince(new Map())) {
    for (const step of unitOps(op)) {
      if (++units > maxUnits) return found;
      scratch.applyRemote([step]);
      if (scratch.length === target.length && scratch.toString() === target) found = scratch.version();
    }
  }
  return found;
}

/** One op per code point inserted or unit deleted, in order, equivalent to `op`. */
function* unitOps(op: TextOp): Generator<TextOp> {
  if (op.kind === 'delete') {
    for (let i = 0; i < op.length; i++) yield { kind: 'delete', agent: op.agent, seq: op.seq + i, target: { agent: op.target.agent, seq: op.target.seq + i }, length: 1 };
    return;
  }
  let left = op.originLeft;
  for (let i = 0; i < op.text.length; ) {
    const cp = op.text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    yield { kind: 'insert', agent: op.agent, seq: op.seq + i, originLeft: left, originRight: op.originRight, text: op.text.slice(i, i + width) };
    left = { agent: op.agent, seq: op.seq + i + width - 1 };
    i += width;
  }
}
