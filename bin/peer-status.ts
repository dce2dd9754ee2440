/**
 * `weft peer status --dir F`: what a running `weft peer run` on F says of itself, from the
 * status file it keeps, F/.weft/status.json (rewritten at most every 300 ms while it runs):
 * brokers, commits, its own addresses (relayed ones included), and for each teammate
 * present how it is connected: direct, relayed through which broker, or not connected.
 * Exit code 0 while the peer runs, 3 when it does not (the file then says how it was).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fromHex, publicKeyToText } from '../protocol/src/index.js';
import { describeConnection, type PeerStatus } from '../protocol/runtime/index.js';
import { statePath } from './state-folder.js';
import { processAlive } from './process-alive.js';

export interface PeerStatusFile {
  readonly pid: number;
  readonly share: string;
  readonly updatedAt: string;
  /** Our own dialable addresses. */
  readonly addresses: readonly string[];
  readonly brokers: readonly string[];
  readonly peers: number;
  readonly commits: number;
  readonly joined: boolean;
  /** `via`: the broker's key in text form (weft1...). */
  readonly teammates: ReadonlyArray<{ readonly name: string; readonly key: string; readonly connection: 'direct' | 'relayed' | 'none'; readonly webrtc?: boolean; readonly via?: string }>;
}

const STATUS_FILE = 'status.json';
const WRITE_EVERY_MS = 300;

/** The file's contents for a runtime status. */
export function statusFile(share: string, status: PeerStatus, addresses: readonly string[]): PeerStatusFile {
  return {
    pid: process.pid,
    share,
    updatedAt: new Date().toISOString(),
    addresses,
    brokers: status.brokerKeys.map((k) => publicKeyToText(fromHex(k))),
    peers: status.peers,
    commits: status.commits,
    joined: status.joined,
    teammates: status.teammates.map((t) => ({
      name: t.name,
      key: publicKeyToText(fromHex(t.member)),
      connection: t.connection,
      ...(t.webrtc ? { webrtc: true } : {}),
      ...(t.via !== undefined ? { via: publicKeyToText(fromHex(t.via)) } : {}),
    })),
  };
}

/** Keeps F/.weft/status.json: write() at will, it writes at most every 300 ms (the latest state), atomically. */
export class StatusFileWriter {
  private latest: PeerStatusFile | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  write(file: PeerStatusFile): void {
    this.latest = file;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, WRITE_EVERY_MS);
  }

  /** Writes what is pending now; resolves once written. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    await this.writing;
  }

  private flush(): void {
    const file = this.latest;
    if (file === undefined) return;
    this.latest = undefined;
    const path = statePath(this.dir, STATUS_FILE);
    this.writing = this.writing.then(async () => {
      await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
      await rename(`${path}.tmp`, path);
    }).catch(() => undefined);
  }
}

/** One line per teammate: "Bob (weft1...): relayed through broker weft1..." */
export function describeTeammate(t: PeerStatusFile['teammates'][number]): string {
  return `${t.name} (${t.key}): ${describeConnection(t)}`;
}

/** Prints the status; returns the exit code (0 running, 3 not running or never ran). */
export async function printPeerStatus(dir: string, out: (line: string) => void): Promise<number> {
  let st: PeerStatusFile;
  try {
    st = JSON.parse(await readFile(statePath(dir, STATUS_FILE), 'utf8')) as PeerStatusFile;
  } catch {
    out('peer:      not running (no status file: "weft peer run" never ran on this folder)');
    return 3;
  }
  const running = Number.isSafeInteger(st.pid) && st.pid > 0 && processAlive(st.pid);
  out(`peer:      ${running ? `running (pid ${st.pid})` : 'not running; as it was last:'}`);
  out(`share:     ${st.share}${st.joined ? '' : ' (waiting for keys)'}, ${st.commits} commits`);
  out(`brokers:   ${st.brokers.length ? st.brokers.join(', ') : 'none connected'}`);
  for (const a of st.addresses) out(`address:   ${a}`);
  if (st.teammates.length === 0) out('teammates: nobody else here');
  for (const t of st.teammates) out(`teammate:  ${describeTeammate(t)}`);
  out(`as of:     ${st.updatedAt}`);
  return running ? 0 : 3;
}

export const STATUS_FILE_NAME = STATUS_FILE;
