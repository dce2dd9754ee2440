/** Helpers for the broker process tests: run `weft broker` as a child, and a wire client. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerStatusFile } from '../../protocol/platform/index.js';
import { createTransport, type FrameChannel, type Transport } from '../../protocol/transport/index.js';
import { randomBytes } from '../../protocol/src/crypto/index.js';
import { decodeWire, encodeWire, PUBSUB_PROTOCOL, type WireMessage } from '../../protocol/src/multicast/wire.js';
import { SyncSession } from '../../protocol/src/sync/index.js';
import { ClientLog } from '../protocol/broker/helpers.js';

/** out/test/net -> repository root's out/bin/weft.js */
export const WEFT = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/weft.js');

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `weft-${name}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The data directories and wire clients a test file makes, pushed there as it goes: after
 * its tests every broker still running is killed, every client closed, every directory removed.
 */
export function cleanedUpAfter(): { dirs: string[]; clients: WireClient[] } {
  const dirs: string[] = [];
  const clients: WireClient[] = [];
  after(async () => {
    killAll();
    await Promise.all(clients.map((c) => c.close()));
    for (const d of dirs) removeDir(d);
  });
  return { dirs, clients };
}

/** A broker's status.json, or undefined while it is not written yet or being rewritten. */
export function statusOf(dir: string): BrokerStatusFile | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as BrokerStatusFile;
  } catch {
    return undefined;
  }
}

/** Both brokers (their data directories) hold the other as a ring neighbour of the topic. */
export function ringOfTwo(dirs: readonly string[], topicHex: string): boolean {
  const ids = dirs.map((d) => statusOf(d)?.overlay?.id);
  return dirs.every((d, i) => {
    const r = statusOf(d)?.overlay?.rings[topicHex];
    const other = ids[1 - i];
    return other !== undefined && r !== undefined && (r.successors.includes(other) || r.predecessors.includes(other));
  });
}

/** Polls `cond` every 100 ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface BrokerProcess {
  readonly proc: ChildProcess;
  readonly addrs: string[];
  readonly tcp: string;
  stderr(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kills every broker still running (after() hooks). */
export function killAll(): void {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  running.clear();
}

/** Starts `weft broker`; rejects when it does not print its addresses within `startMs`. */
export function startBroker(dataDir: string, args: string[] = [], env: Record<string, string> = {}, startMs = 15_000): Promise<BrokerProcess> {
  const proc = spawn(process.execPath, [WEFT, 'broker', '--data', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(proc);
  let err = '';
  let out = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => { running.delete(proc); res(code); }));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`broker did not start in ${startMs / 1000} s:\n${err}`)), startMs);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const addrs = [...out.matchAll(/^listening (\S+)$/gm)].map((m) => m[1]!);
      if (addrs.length >= 2) {
        clearTimeout(timer);
        res({
          proc,
          addrs,
          tcp: addrs.find((a) => !a.includes('/ws'))!,
          stderr: () => err,
          exited,
          kill: (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => rej(new Error(`broker exited with ${code} before listening:\n${err}`)));
  });
}

export interface CpuBurner {
  stop(): void;
}

/** A child process that keeps one core busy, so a test runs on a loaded machine. */
export function startCpuBurner(): CpuBurner {
  const proc = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  running.add(proc);
  return {
    stop: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      running.delete(proc);
    },
  };
}

/** A predicate for WireClient.next: messages of type `t`, narrowed. */
export const isType =
  <T extends WireMessage['type']>(t: T) =>
  (m: WireMessage): m is Extract<WireMessage, { type: T }> =>
    m.type === t;

/** A peer speaking the wire protocol to one broker. */
export class WireClient {
  private readonly inbox: WireMessage[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(
    readonly transport: Transport,
    readonly channel: FrameChannel,
  ) {
    void (async () => {
      for await (const f of channel.frames()) {
        try {
          this.inbox.push(decodeWire(f));
        } catch {
          // ignore
        }
        this.wake();
      }
      this.closed = true;
      this.wake();
    })();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(addr: string, opts: { maxFrameBytes?: number } = {}): Promise<WireClient> {
    const transport = createTransport({ identitySeed: randomBytes(32), listen: [], ...(opts.maxFrameBytes ? { maxFrameBytes: opts.maxFrameBytes } : {}) });
    await transport.start();
    const peer = await transport.dial(addr);
    const channel = await transport.openChannel(peer.publicKey, PUBSUB_PROTOCOL);
    const c = new WireClient(transport, channel);
    await c.send({ type: 'hello', role: 'peer', software: 'weft-test' });
    return c;
  }

  send(m: WireMessage | Uint8Array): Promise<void> {
    return this.channel.send(m instanceof Uint8Array ? m : encodeWire(m));
  }

  /** Removes and returns every queued message matching `pred`. */
  drain(pred: (m: WireMessage) => boolean = () => true): WireMessage[] {
    const out: WireMessage[] = [];
    for (let i = 0; i < this.inbox.length; ) {
      if (pred(this.inbox[i]!)) out.push(...this.inbox.splice(i, 1));
      else i++;
    }
    return out;
  }

  /** Waits for the first message matching `pred` (removing it). */
  async next(pred: (m: WireMessage) => boolean, timeoutMs = 10_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      if (this.closed) throw new Error('channel closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; inbox: ${this.inbox.map((m) => m.type).join(',')}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** Catches up `log` on `topic` from the broker by SYNC until both sides have the same heads. */
  async sync(topic: Uint8Array, log: ClientLog, timeoutMs = 15_000): Promise<void> {
    this.drain((m) => m.type === 'sync'); // leftovers of an earlier session
    const session = new SyncSession(log.source);
    for (const m of session.start()) await this.send({ type: 'sync', topics: [topic], message: m });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (Date.now() > deadline) throw new Error('sync did not finish in time');
      // A broker with the same heads (e.g. both empty) does not answer at all.
      const msg = await this.next((m) => m.type === 'sync', 2000).catch(() => undefined);
      if (!msg) {
        if (this.closed) throw new Error('channel closed during sync');
        return;
      }
      if (msg.type !== 'sync') continue;
      const step = session.receive(msg.message);
      for (const c of step.commits) log.merge(c);
      for (const m of step.send) await this.send({ type: 'sync', topics: [topic], message: m });
      const after = session.poll();
      for (const m of after.send) await this.send({ type: 'sync', topics: [topic], message: m });
      if (after.done && !this.inbox.some((m) => m.type === 'sync')) return;
    }
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => {});
    await this.transport.stop().catch(() => {});
  }
}
