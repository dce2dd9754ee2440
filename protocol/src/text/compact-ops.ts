/**
 * Joins consecutive operations of one author into runs before they go on the wire:
 * typing "abc" (three inserts, each after the previous character, same right origin)
 * becomes one insert of "abc"; deleting forward through a run of one author's
 * characters becomes one delete. The result applies exactly like the input.
 */
import type { DeleteOp, InsertOp, TextOp } from './types.js';

function extendsInsert(a: InsertOp, b: InsertOp): boolean {
  const n = a.text.length;
  return (
    b.agent === a.agent &&
    b.seq === a.seq + n &&
    b.originLeft !== null &&
    b.originLeft.agent === a.agent &&
    b.originLeft.seq === a.seq + n - 1 &&
    (b.originRight === null ? a.originRight === null : a.originRight !== null && b.originRight.agent === a.originRight.agent && b.originRight.seq === a.originRight.seq)
  );
}

function extendsDelete(a: DeleteOp, b: DeleteOp): boolean {
  return b.agent === a.agent && b.seq === a.seq + a.length && b.target.agent === a.target.agent && b.target.seq === a.target.seq + a.length;
}

export function compactOps(ops: readonly TextOp[]): TextOp[] {
  const out: TextOp[] = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    if (last && last.kind === 'insert' && op.kind === 'insert' && extendsInsert(last, op)) {
      out[out.length - 1] = { ...last, text: last.text + op.text };
    } else if (last && last.kind === 'delete' && op.kind === 'delete' && extendsDelete(last, op)) {
      out[out.length - 1] = { ...last, length: last.length + op.length };
    } else out.push(op);
  }
  return out;
}
