/**
 * Output of a long-running `weft` process (the broker) whose parent may be gone.
 * When the reader of stdout or stderr goes away, a write fails with EPIPE; Node reports
 * that as an 'error' event on the stream, which, unheard, becomes an uncaught exception,
 * whose handler logged it to stderr again: a broker with a dead parent spun at 20-40% of
 * a core and never got round to its SIGTERM (issue 18, finding 4). Here a stream that
 * failed once is closed for good and its lines are dropped; nothing else changes.
 */
const failed = { stdout: false, stderr: false };
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.stdout.on('error', () => (failed.stdout = true));
  process.stderr.on('error', () => (failed.stderr = true));
}

/** Writes a line to stdout or stderr unless that stream is closed or failed before. */
export function writeLine(to: 'stdout' | 'stderr', text: string): void {
  listen();
  const stream = process[to];
  if (failed[to] || stream.destroyed || !stream.writable) return;
  try {
    stream.write(`${text}\n`);
  } catch {
    failed[to] = true;
  }
}

/** An error from writing to a closed pipe or terminal (nothing to report it to). */
export function isBrokenOutput(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END' || code === 'EIO';
}

/**
 * Exits with `code` after `ms` unless the process has exited by then: a clean stop that
 * hangs (a stuck close, a stalled disk) must not keep a stopped daemon alive.
 */
export function exitAfter(ms: number, code: number): void {
  setTimeout(() => process.exit(code), ms).unref();
}
