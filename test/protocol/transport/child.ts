/** Spawning the transport-peer fixture and reading its JSON lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const FIXTURE = fileURLToPath(new URL('./fixtures/transport-peer.js', import.meta.url));

export interface ChildEvent {
  event: string;
  [k: string]: unknown;
}

export class PeerProcess {
  readonly events: ChildEvent[] = [];
  private waiters: Array<{ match: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: ChildEvent;
      try {
        e = JSON.parse(line) as ChildEvent;
      } catch {
        return;
      }
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(e)) return true;
        w.resolve(e);
        return false;
      });
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  }

  /** Starts the fixture; `prefix` runs it under a wrapper (e.g. `ip netns exec NS`). */
  static spawn(args: string[], prefix: string[] = []): PeerProcess {
    const argv = [...prefix, process.execPath, FIXTURE, ...args];
    return new PeerProcess(spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  waitFor(event: string, ms = 10_000, match: (e: ChildEvent) => boolean = () => true): Promise<ChildEvent> {
    const seen = this.events.find((e) => e.event === event && match(e));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${event}" from the child within ${ms} ms; events ${JSON.stringify(this.events)}; stderr ${this.stderr}`)),
        ms,
      );
      this.waiters.push({
        match: (e) => e.event === event && match(e),
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** Ends stdin (the fixture then stops its transport) and returns ms until the process exited by itself. */
  async stopAndTimeExit(limitMs = 10_000): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), limitMs);
    const { code, signal, at } = await this.exited;
    clearTimeout(timer);
    if (signal !== null) throw new Error(`child did not exit on its own within ${limitMs} ms (killed); stderr ${this.stderr}`);
    return { code, ms: at - t0 };
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
