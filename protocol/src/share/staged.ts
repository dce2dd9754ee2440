/** Local actions waiting for the next commit, their encoding into payload actions, and their split into commits. */
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

/**
 * UTF-16 units of text per commit: at most 3 bytes of UTF-8 each plus the ops' own
 * overhead, well under the 1 MiB a commit may hold.
 */
export const COMMIT_TEXT_UNITS = 256 * 1024;

/**
 * Staged actions in groups of at most about `units` units of text each, in order, so that
 * a change of any size (a 50 MB paste) becomes several commits under the limit. A text op
 * larger than that is cut into pieces that mean the same: an insert continues as inserts
 * each typed after the last character of the one before (a surrogate pair is never
 * cut), a delete as deletes of consecutive ids.
 */
export function splitStaged(staged: readonly StagedAction[], units = COMMIT_TEXT_UNITS): StagedAction[][] {
  const groups: StagedAction[][] = [];
  let group: StagedAction[] = [];
  let size = 0;
  const close = (): void => {
    if (group.length) groups.push(group);
    group = [];
    size = 0;
  };
  for (const a of staged) {
    if (a.type !== 'text') {
      const n = a.type === 'gitEdit' ? a.edit.hunks.reduce((t, h) => t + h.insert.length + 16, 64) : 64;
      if (size > 0 && size + n > units) close();
      group.push(a);
      size += n;
      continue;
    }
    for (const op of a.ops) {
      for (const piece of cutOp(op, units)) {
        const n = piece.kind === 'insert' ? piece.text.length : 8;
        if (size > 0 && size + n > units) close();
        group.push({ type: 'text', file: a.file, ops: [piece] });
        size += n;
      }
    }
  }
  close();
  return groups;
}

function cutOp(op: TextOp, units: number): TextOp[] {
  if (op.kind === 'delete' || op.text.length <= units) return [op];
  const out: TextOp[] = [];
  let from = 0;
  let left = op.originLeft;
  while (from < op.text.length) {
    let to = Math.min(op.text.length, from + units);
    const c = op.text.charCodeAt(to - 1);
    if (to < op.text.length && c >= 0xd800 && c <= 0xdbff) to--; // keep a surrogate pair whole
    out.push({ kind: 'insert', agent: op.agent, seq: op.seq + from, originLeft: left, originRight: op.originRight, text: op.text.slice(from, to) });
    left = { agent: op.agent, seq: op.seq + to - 1 };
    from = to;
  }
  return out;
}
