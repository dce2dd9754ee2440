/**
 * Helpers of the broker exhaustion tests (broker-outsider.test.ts): an honest
 * publisher and subscriber whose round trip through the broker is sampled while an
 * attack runs, a fresh topic's first event as an outsider makes it, and the attacker
 * child process (broker-attacker.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { generateSigningKeyPair, randomBytes } from '../../protocol/src/crypto/index.js';
import { createCommit, decodeCommitEnvelope, type CommitEnvelope } from '../../protocol/src/log/commit.js';
import { makeStream, type Stream } from '../protocol/broker/helpers.js';
import { WireClient } from './broker-helpers.js';

export interface RoundTrips {
  readonly count: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly maxMs: number;
}

/** One event, the first of a topic nobody invited anyone to: what an outsider can make. */
export function outsiderEvent(): CommitEnvelope {
  const author = generateSigningKeyPair();
  return createCommit({ topic: generateSigningKeyPair(), epochKey: randomBytes(32), author, deps: [], payload: randomBytes(64) });
}

/**
 * An honest member publishing on its share's topic and a teammate subscribed to it.
 * The round trip is publish -> broker -> subscriber (the broker forwards before the disk).
 */
export class HonestProbe {
  private readonly samples: number[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    readonly stream: Stream,
    readonly pub: WireClient,
    readonly sub: WireClient,
  ) {}

  static async start(addr: string, name = 'probe.md'): Promise<HonestProbe> {
    const stream = makeStream(2, name);
    const pub = await WireClient.connect(addr);
    const sub = await WireClient.connect(addr);
    await sub.send({ type: 'subscribe', topics: [stream.topic] });
    await sub.next((m) => m.type === 'subscribed');
    for (const c of stream.commits) {
      await pub.send({ type: 'event', commit: c });
      const id = decodeCommitEnvelope(c).id;
      await pub.next((m) => m.type === 'ack' && m.id === id);
    }
    sub.drain();
    return new HonestProbe(stream, pub, sub);
  }

  /** One round trip, in milliseconds. */
  async roundTrip(): Promise<number> {
    const [commit] = this.stream.more(1);
    const id = decodeCommitEnvelope(commit!).id;
    const t0 = performance.now();
    await this.pub.send({ type: 'event', commit: commit! });
    await this.sub.next((m) => m.type === 'event' && decodeCommitEnvelope(m.commit).id === id, 10_000);
    const ms = performance.now() - t0;
    this.pub.drain();
    return ms;
  }

  /** Samples round trips, one every ~25 ms, until stop(). */
  begin(): void {
    this.samples.length = 0;
    this.stopped = false;
    this.running = (async () => {
      while (!this.stopped) {
        this.samples.push(await this.roundTrip());
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
  }

  async stop(): Promise<RoundTrips> {
    this.stopped = true;
    await this.running;
    return summarize(this.samples);
  }

  async close(): Promise<void> {
    await this.pub.close();
    await this.sub.close();
  }
}

export function summarize(samples: readonly number[]): RoundTrips {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => (s.length === 0 ? NaN : Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 10) / 10);
  return { count: s.length, medianMs: at(0.5), p90Ms: at(0.9), maxMs: at(1) };
}

/** out/test/net/broker-attacker.js */
const ATTACKER = resolve(dirname(fileURLToPath(import.meta.url)), 'broker-attacker.js');

/** The attacker child: its JSON report lines, in order, and its exit. */
export class Attacker {
  private readonly lines: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  private stderrText = '';

  private constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ text: line });
      }
      for (const w of this.waiters.splice(0)) w();
    });
    proc.stderr!.on('data', (b: Buffer) => (this.stderrText += b.toString()));
    this.exited = new Promise((res) =>
      proc.on('exit', (code) => {
        for (const w of this.waiters.splice(0)) w();
        res(code);
      }),
    );
  }

  static start(mode: string, args: string[]): Attacker {
    return new Attacker(spawn(process.execPath, [ATTACKER, mode, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** The first report line with `event` (and matching `where`), waiting for it (the child's stderr in the error). */
  async report(event: string, timeoutMs = 60_000, where: (line: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.event === event && where(l));
      if (line) return line;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`attacker exited before "${event}":\n${this.stderrText}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`attacker did not report "${event}" in ${timeoutMs} ms; got ${JSON.stringify(this.lines)}\n${this.stderrText}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  kill(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    return this.exited;
  }
}
