/**
 * Runs `run` at most once per `delayMs`, always after the last trigger (trailing
 * edge): a burst of triggers (keystrokes, cursor moves) becomes one run `delayMs`
 * after the first of them, reading the state as it is then. Timers are injected so
 * tests drive time by hand.
 */

export interface ThrottleTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ThrottleTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class TrailingThrottle {
  private handle: unknown;
  private scheduled = false;
  private disposed = false;

  constructor(
    private readonly delayMs: number,
    private readonly run: () => void,
    private readonly timers: ThrottleTimers = realTimers,
  ) {}

  /** Asks for a run; coalesced with every other trigger until it happens. */
  trigger(): void {
    if (this.disposed || this.scheduled) return;
    this.scheduled = true;
    this.handle = this.timers.setTimeout(() => this.fire(), this.delayMs);
  }

  get pending(): boolean {
    return this.scheduled;
  }

  /** Runs now if a run is pending. */
  flush(): void {
    if (!this.scheduled) return;
    this.timers.clearTimeout(this.handle);
    this.fire();
  }

  private fire(): void {
    this.scheduled = false;
    this.handle = undefined;
    if (!this.disposed) this.run();
  }

  dispose(): void {
    this.disposed = true;
    if (this.scheduled) this.timers.clearTimeout(this.handle);
    this.scheduled = false;
  }
}
