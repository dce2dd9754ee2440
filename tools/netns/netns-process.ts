/**
 * A command running inside a network namespace (`ip netns exec NAME command ...`), as a
 * child process the test can wait on and kill. `ip netns exec` enters the namespace and
 * then execs the command, so the child's pid is the command's own: killing it kills the
 * command. The tests' helper scripts run this way (test/net/nat/socket-probe.ts,
 * relay-client.ts) report what happens as JSON lines on stdout, `{"event": ..., ...}`;
 * waitFor() awaits one. Shared by the NAT tests and `npm run bench -- nat`.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcessEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

export class NetnsProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly lines: string[] = [];
  private partial = '';
  private err = '';
  /** The last 256 KiB of stderr, for waitForStderr (err keeps less, for failure messages). */
  private errSeen = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly netns: string,
    readonly command: string,
    readonly args: readonly string[],
    env: Readonly<Record<string, string>> = {},
  ) {
    this.proc = spawn('ip', ['netns', 'exec', netns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      const parts = (this.partial + chunk.toString()).split('\n');
      this.partial = parts.pop()!;
      if (parts.length === 0) return;
      this.lines.push(...parts);
      this.notify();
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      this.err = (this.err + chunk.toString()).slice(-16_384);
      this.errSeen += chunk.toString();
      this.errSeen = this.errSeen.slice(-262_144);
      this.notify();
    });
    this.exited = new Promise((resolve) =>
      this.proc.on('exit', (code) => {
        resolve(code);
        this.notify();
      }),
    );
  }

  /** stdout lines so far. */
  output(): readonly string[] {
    return this.lines;
  }

  stderr(): string {
    return this.err;
  }

  /** The JSON events on stdout so far (other lines are left out). */
  events(): ProcessEvent[] {
    const out: ProcessEvent[] = [];
    for (const line of this.lines) {
      if (!line.startsWith('{')) continue;
      try {
        const value = JSON.parse(line) as ProcessEvent;
        if (typeof value.event === 'string') out.push(value);
      } catch {
        // not one of ours
      }
    }
    return out;
  }

  /**
   * The first stdout line for which `match` returns something, already printed or still to
   * come. Rejects when the process exits first or after `timeoutMs`, with its output.
   */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        this.listeners.delete(check);
        clearTimeout(timer);
      };
      const check = (): void => {
        for (const line of this.lines) {
          const found = match(line);
          if (found !== undefined) {
            finish();
            resolve(found);
            return;
          }
        }
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          finish();
          reject(new Error(`${what}: the process exited (${this.proc.exitCode ?? this.proc.signalCode}) first\n${this.describe()}`));
        }
      };
      timer = setTimeout(() => {
        finish();
        reject(new Error(`${what}: not within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /**
   * The first capture group of `pattern` in stderr (already written or still to come), e.g.
   * a broker's log line. Rejects when the process exits first or after `timeoutMs`.
   */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const finish = (): void => {
        this.listeners.delete(check);
        clearTimeout(timer);
      };
      const check = (): void => {
        const m = pattern.exec(this.errSeen);
        if (m) {
          finish();
          resolve(m[1] ?? m[0]);
        } else if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          finish();
          reject(new Error(`stderr ${pattern}: the process exited first\n${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`stderr ${pattern}: not within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** The first event named `event` (already reported or still to come). */
  waitFor(event: string, timeoutMs: number): Promise<ProcessEvent> {
    return this.waitForLine(
      (line) => (line.includes(`"event":"${event}"`) ? this.events().find((e) => e.event === event) : undefined),
      timeoutMs,
      `event "${event}" from ${this.command} ${this.args.join(' ')} in ${this.netns}`,
    );
  }

  /** Kills the process (SIGKILL) and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    return `--- stdout ---\n${this.lines.join('\n')}\n--- stderr ---\n${this.err}`;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
