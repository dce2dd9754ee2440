/**
 * Runs a real VS Code (code-server 4.100.3 from .e2e/, see scripts/e2e-setup.sh) and
 * drives it from Debian's Chromium with playwright-core. Recipe and selectors:
 * docs/TESTING.md ("A real VS Code").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const codeServerBin = join(repoRoot, '.e2e/node_modules/.bin/code-server');

export function e2eAvailable(): string | undefined {
  if (!existsSync(codeServerBin)) return 'code-server is not installed (run scripts/e2e-setup.sh)';
  if (!existsSync('/usr/bin/chromium')) return 'Debian chromium is not installed (run scripts/e2e-setup.sh)';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface CodeServer {
  url: string;
  port: number;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  /** The folder holding config and data: pass it back as `reuse` to restart the same VS Code. */
  base: string;
  /** The server's process id, which is also its process group id (it runs in its own session). */
  pid: number;
  /** Kills the server's process group; with `graceMs`, asks it to stop (SIGTERM) first and waits up to that long. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts code-server on `folder` (loopback, no auth); resolves once /healthz answers. */
export async function startCodeServer(folder: string, opts: { extensionsDir?: string; env?: NodeJS.ProcessEnv; reuse?: CodeServer; base?: string } = {}): Promise<CodeServer> {
  const port = opts.reuse?.port ?? (await freePort());
  // `base`: a folder of one's own for config and data (default: a new temporary folder).
  const base = opts.reuse?.base ?? opts.base ?? mkdtempSync(join(tmpdir(), 'weft-cs-'));
  const userDataDir = join(base, 'data');
  const extensionsDir = opts.reuse?.extensionsDir ?? opts.extensionsDir ?? join(base, 'ext');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(base, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  if (!opts.reuse) writeFileSync(
    join(userDataDir, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'telemetry.telemetryLevel': 'off',
      'workbench.tips.enabled': false,
    }),
  );
  const tmp = join(base, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const child: ChildProcess = spawn(
    codeServerBin,
    ['--config', join(base, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', folder],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env, TMPDIR: tmp } },
  );
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`code-server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port,
    folder,
    userDataDir,
    extensionsDir,
    base,
    pid: child.pid!,
    async stop(graceMs = 0) {
      const kill = (signal: NodeJS.Signals | 0): boolean => {
        try {
          process.kill(-child.pid!, signal);
          return true;
        } catch {
          return false; // already gone
        }
      };
      if (graceMs > 0 && kill('SIGTERM')) {
        const deadline = Date.now() + graceMs;
        // The group is gone once signal 0 fails (the watcher child can outlive the wrapper).
        while (Date.now() < deadline && kill(0)) await new Promise((r) => setTimeout(r, 100));
      }
      kill('SIGKILL');
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'weft-chromium-'));
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    env: { ...process.env, XDG_CONFIG_HOME: profile },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Runs a mocha suite inside code-server's real extension host, with the extension at
 * `extensionPath` loaded in development mode. `suitePath` is a CommonJS file exporting
 * `run(): Promise<void>`. Resolves with the exit code the host reports (0 = pass).
 */
export async function runInExtensionHost(browser: Browser, server: CodeServer, extensionPath: string, suitePath: string, timeoutMs = 180_000): Promise<{ code: number; page: Page; failures: string[] }> {
  const page = await browser.newPage();
  // What the extension host logs to its console (the suite's failures among it) reaches the browser console.
  // The failures are also returned, so that the caller's assertion names them at the end of a long log.
  const failures: string[] = [];
  page.on('console', (m) => {
    const t = m.text();
    if (!t.includes('[Extension Host]') && !/^\s*(Error|✘)/.test(t)) return;
    const line = t.replace(/%c/g, '').replace(/ color: [^ ]+$/, '');
    if (line.includes('✘')) failures.push(line);
    process.stdout.write(`      [host] ${line}\n`);
  });
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(suitePath)],
  ]);
  await page.goto(`${server.url}/?folder=${encodeURIComponent(server.folder)}&payload=${encodeURIComponent(payload)}`);
  const code = await Promise.race([exited, new Promise<number>((_, rej) => setTimeout(() => rej(new Error('extension host tests timed out')), timeoutMs))]);
  return { code, page, failures };
}
