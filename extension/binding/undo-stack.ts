/**
 * Undo and redo of one's own edits only (no `vscode` here).
 *
 * Every group holds the ops that undo it, as a sequence in the coordinates of the
 * share's current text. Teammates' changes never enter the stacks; they move the
 * groups instead: a remote sequence R made on the current text transforms the top
 * group (xform), and R "before" that group transforms the next one down, and so on.
 * So undo removes one's own insertions even when a teammate typed inside or around
 * them, and restores one's own deletions where they were, keeping the teammate's text.
 *
 * Local edits close into one group while they follow each other within GROUP_MS and
 * continue where the last one ended (typing a word); undoing and redoing move whole
 * groups between the stacks.
 */
import { xform, type Op } from './text-ops.js';

const GROUP_MS = 800;
const MAX_GROUPS = 500;

interface Group {
  /** Applied in order to the current text, undoes the group. */
  ops: Op[];
}

export class UndoStack {
  private undos: Group[] = [];
  private redos: Group[] = [];
  private lastAt = -Infinity;
  private lastEnd = -1;

  /**
   * A local edit `op` was applied to `before` (the text just before it).
   * `now` is a clock in milliseconds.
   */
  local(op: Op, before: string, now: number): void {
    const inverse: Op = { offset: op.offset, deleteCount: op.insert.length, insert: before.slice(op.offset, op.offset + op.deleteCount) };
    const top = this.undos[this.undos.length - 1];
    const continues = top !== undefined && now - this.lastAt <= GROUP_MS && (op.offset === this.lastEnd || op.offset + op.deleteCount === this.lastEnd);
    if (continues) top.ops.unshift(inverse);
    else {
      this.undos.push({ ops: [inverse] });
      if (this.undos.length > MAX_GROUPS) this.undos.shift();
    }
    this.redos = [];
    this.lastAt = now;
    this.lastEnd = op.offset + op.insert.length;
  }

  /** A teammate's changes (a sequence made on the current text) moved the text. */
  remote(ops: readonly Op[]): void {
    if (ops.length === 0) return;
    this.transform(this.undos, ops);
    this.transform(this.redos, ops);
  }

  get canUndo(): boolean {
    return this.undos.length > 0;
  }
  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  /**
   * The ops that undo the latest own group (a sequence on the current text), moving it
   * to the redo stack; `apply` applies one op and returns the text it replaced.
   */
  undo(apply: (op: Op) => string): boolean {
    return this.move(this.undos, this.redos, apply);
  }

  redo(apply: (op: Op) => string): boolean {
    return this.move(this.redos, this.undos, apply);
  }

  private move(from: Group[], to: Group[], apply: (op: Op) => string): boolean {
    const g = from.pop();
    if (!g) return false;
    const back: Op[] = [];
    for (const op of g.ops) {
      if (op.deleteCount === 0 && op.insert === '') continue;
      const removed = apply(op);
      back.unshift({ offset: op.offset, deleteCount: op.insert.length, insert: removed });
    }
    if (back.length) to.push({ ops: back });
    this.lastAt = -Infinity; // the next edit starts a new group
    return true;
  }

  private transform(stack: Group[], ops: readonly Op[]): void {
    let r: Op[] = [...ops];
    for (let i = stack.length - 1; i >= 0 && r.length; i--) {
      const g = stack[i]!;
      // The group's ops are "local", the teammate's "remote": on a tie the group's insert goes first.
      const [mine, rBefore] = xform(g.ops, r);
      g.ops = mine;
      r = rBefore;
    }
    this.lastEnd = -1;
  }
}
