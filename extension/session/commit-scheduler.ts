/**
 * Batches local edits into commits with the log's CommitBatcher: a commit closes
 * ~10 ms after the first edit of a batch (or at maxOps), then PeerRuntime.commit()
 * stores and publishes it.
 */
import { CommitBatcher } from '../../protocol/src/index.js';

export class CommitScheduler {
  private readonly batcher = new CommitBatcher<true>({ maxDelayMs: 10, maxOps: 500 });
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly commit: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Something was staged in the replica. */
  noteEdit(): void {
    if (this.disposed) return;
    const at = this.batcher.push(true, Date.now());
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), Math.max(0, at - Date.now()));
  }

  /** Commits whatever is batched now; resolves when stored and published. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.batcher.take();
    this.running = this.running.then(() => this.commit().then(() => undefined, this.onError));
    return this.running;
  }

  get idle(): boolean {
    return this.batcher.pending === 0;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.flush();
  }
}
