/** Local actions waiting for the next commit, and their encoding into payload actions. */
import type { ShareDocuments, TextOp } from './documents.js';
import type { FileId } from './manifest.js';
import type { Action } from './payload.js';

export type StagedAction = Exclude<Action, { type: 'text' }> | { type: 'text'; file: FileId; ops: TextOp[] };

/** Joins consecutive text actions on one file into one op batch, and encodes it. */
export function encodeStaged(staged: readonly StagedAction[], docs: ShareDocuments): Action[] {
  const out: StagedAction[] = [];
  for (const a of staged) {
    const last = out[out.length - 1];
    if (a.type === 'text' && last?.type === 'text' && last.file === a.file) last.ops.push(...a.ops);
    else out.push(a.type === 'text' ? { type: 'text', file: a.file, ops: [...a.ops] } : a);
  }
  return out.map((a) => (a.type === 'text' ? { type: 'text', file: a.file, ops: docs.encodeOps(a.ops) } : a));
}
