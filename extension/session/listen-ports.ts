/**
 * The ports a share's node listens on, kept across restarts: teammates dial the addresses
 * they know (an invitation's, their last connection's), so a node that came back on the
 * same ports is reached again at once, directly, instead of only through a broker. Only
 * listen addresses with port 0 (the default: "any free port") are made stable; a port
 * another program took since is left to the system again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

const FILE = 'listen-ports.json';
const PORT_ZERO = /^(\/ip[46]\/[^/]+\/tcp\/)0(\/.*)?$/;

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The listen addresses, with the ports of the last run in place of port 0 where still free. */
export async function stableListen(stateDir: string, listen: readonly string[]): Promise<string[]> {
  let last: string[] = [];
  try {
    last = JSON.parse(await readFile(join(stateDir, FILE), 'utf8')) as string[];
  } catch {
    return [...listen];
  }
  return Promise.all(
    listen.map(async (addr, i) => {
      const m = PORT_ZERO.exec(addr);
      const port = Number(/\/tcp\/(\d+)/.exec(last[i] ?? '')?.[1]);
      if (!m || !port) return addr;
      const host = addr.split('/')[2]!;
      return (await portFree(host, port)) ? `${m[1]}${port}${m[2] ?? ''}` : addr;
    }),
  );
}

/** Remembers the ports the node got, in the order of the listen addresses asked for. */
export async function rememberListen(stateDir: string, listen: readonly string[], addresses: readonly string[]): Promise<void> {
  const got = listen.map((asked) => {
    const ws = asked.includes('/ws');
    return addresses.find((a) => a.includes('/tcp/') && a.includes('/ws') === ws && a.split('/')[2] === asked.split('/')[2]) ?? '';
  });
  await writeFile(join(stateDir, FILE), JSON.stringify(got)).catch(() => undefined);
}
