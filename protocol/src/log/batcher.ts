/**
 * Groups a typist's operations into commits so that signing and encryption cost per
 * commit, not per keystroke. Sans-I/O: the caller passes the time and arms a timer
 * for `flushAt`; a batch closes `maxDelayMs` after its first operation or when it
 * reaches `maxOps` operations, whichever comes first.
 */
export interface BatcherInit {
  maxDelayMs?: number;
  maxOps?: number;
}

export class CommitBatcher<Op> {
  private ops: Op[] = [];
  private openedAt = 0;
  readonly maxDelayMs: number;
  readonly maxOps: number;

  constructor(init: BatcherInit = {}) {
    this.maxDelayMs = init.maxDelayMs ?? 40;
    this.maxOps = init.maxOps ?? 1000;
  }

  get pending(): number {
    return this.ops.length;
  }

  /** Adds an operation. Returns the time at which the batch is due. */
  push(op: Op, now: number): number {
    if (this.ops.length === 0) this.openedAt = now;
    this.ops.push(op);
    return this.flushAt();
  }

  flushAt(): number {
    return this.ops.length >= this.maxOps ? this.openedAt : this.openedAt + this.maxDelayMs;
  }

  due(now: number): boolean {
    return this.ops.length > 0 && now >= this.flushAt();
  }

  /** Takes the batch (possibly empty). */
  take(): Op[] {
    const out = this.ops;
    this.ops = [];
    return out;
  }
}
