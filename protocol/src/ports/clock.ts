/**
 * Time as the runtime sees it: the wall clock and one-shot timers, injected so that the
 * same PeerRuntime and BrokerServer run on the real clock (protocol/platform/) and on
 * a simulator's virtual time.
 */
export interface Clock {
  /** Milliseconds since the epoch, a whole number (as Date.now). */
  now(): number;
  /**
   * Calls `fn` once, `ms` from now; the returned function cancels the call. A
   * `background` timer never keeps a process alive on its own (Node's unref).
   */
  after(ms: number, fn: () => void, background?: boolean): () => void;
  /**
   * Calls `fn` once the work under way and its promise continuations are done, before
   * any timer (Node's setImmediate): how the runtime gathers what one turn produced.
   */
  soon(fn: () => void): void;
}

/** Calls `fn` every `ms` until the returned function is called (built on `after`). */
export function every(clock: Clock, ms: number, fn: () => void, background?: boolean): () => void {
  let cancel: (() => void) | undefined;
  let stopped = false;
  const arm = () => {
    cancel = clock.after(
      ms,
      () => {
        if (stopped) return;
        arm();
        fn();
      },
      background,
    );
  };
  arm();
  return () => {
    stopped = true;
    cancel?.();
  };
}

/** A number in [0, 1): jitter and sampling, never keys (those come from protocol/src/crypto/). */
export type Random = () => number;
