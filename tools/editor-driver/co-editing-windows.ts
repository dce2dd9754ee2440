/**
 * Two co-editing VS Code windows, set up the way a person would: a `weft broker`, two
 * code-servers with the packaged .vsix (Alice on a folder of files, Bob on an empty
 * folder), and the Weft commands driven through the UI in headless Chromium — Alice
 * shares, grants Bob's public key, Bob joins. Used by the main job (bin/vscode-demo.ts,
 * `npm start`) and by `npm run bench -- editor`.
 *
 * Where the state lives: code-server runs VS Code's web workbench, which keeps an
 * extension's SecretStorage (Weft's identity seed: in localStorage, AES-encrypted with a
 * key half of which the server keeps in `<user-data-dir>/serve-web-key-half`) and its
 * globalState / workspaceState (which folder is bound to which share: IndexedDB) in the
 * BROWSER profile, per origin. Only settings, logs and globalStorage files are on the
 * server. So the windows are set up in a persistent Chromium profile (`profileDir`):
 * whoever opens the same URLs with that profile is the same Alice and Bob, share
 * included; a browser without it is a new identity on an unshared folder.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { e2eAvailable, repoRoot, startCodeServer, type CodeServer } from './code-server.js';
import { answerInput, focusEditor, openFile, openWorkbench, pickItem, runCommand, visibleEditorText, waitForNotification } from './workbench.js';

const weftBin = join(repoRoot, 'out/bin/weft.js');
const codeServerBin = join(repoRoot, '.e2e/node_modules/.bin/code-server');
export const VSIX = join(repoRoot, 'weft-0.1.0.vsix');

export type Say = (line: string) => void;

/** Runs scripts/e2e-setup.sh when code-server or Chromium is missing; throws with the reason if that fails. */
export function ensureEditorTools(say: Say): void {
  const missing = e2eAvailable();
  if (!missing) return;
  say(`${missing}: running scripts/e2e-setup.sh (Debian chromium, ripgrep, libkrb5-dev with apt; code-server 4.100.3 from npm into .e2e/; a few minutes)`);
  const r = spawnSync('bash', [join(repoRoot, 'scripts/e2e-setup.sh')], { cwd: repoRoot, stdio: 'inherit' });
  const still = e2eAvailable();
  if (r.status !== 0 || still) throw new Error(`scripts/e2e-setup.sh could not install what the VS Code windows need (${still ?? `exit ${r.status}`}); see its message above`);
}

/** `npm run package`: the production bundle and weft-0.1.0.vsix. */
export function packageVsix(): string {
  const r = spawnSync('npm', ['run', 'package', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(VSIX)) throw new Error(`npm run package failed:\n${r.stdout}${r.stderr}`);
  return VSIX;
}

export interface BrokerProcess {
  proc: ChildProcess;
  /** Its loopback TCP multiaddr (with /p2p/ id). */
  addr: string;
  stop(): Promise<void>;
}

/** Starts `weft broker` on loopback TCP with its data in `dataDir`. */
export function startBroker(dataDir: string): Promise<BrokerProcess> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a Ctrl+C in the terminal reaches only us and we stop it in order.
    const proc = spawn(process.execPath, [weftBin, 'broker', '--data', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    const t = setTimeout(() => reject(new Error(`weft broker did not start:\n${out}`)), 30_000);
    const stop = (): Promise<void> =>
      new Promise((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        const k = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(k);
          res();
        });
        proc.kill('SIGTERM');
      });
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ proc, addr: m[1]!, stop });
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => reject(new Error(`weft broker exited (${code}):\n${out}`)));
  });
}

/** Headless Chromium on a persistent profile (kept in `profileDir`), clipboard allowed. */
export function launchProfile(profileDir: string): Promise<BrowserContext> {
  mkdirSync(profileDir, { recursive: true });
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    viewport: { width: 1280, height: 800 },
    permissions: ['clipboard-read', 'clipboard-write'],
    env: { ...process.env, XDG_CONFIG_HOME: join(profileDir, '.config') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface EditorWindow {
  name: 'Alice' | 'Bob';
  folder: string;
  server: CodeServer;
  /** The URL that opens this window's folder. */
  url: string;
}

export interface CoEditingWindows {
  broker: BrokerProcess;
  alice: EditorWindow;
  bob: EditorWindow;
  /** The invitation Alice's share produced. */
  invitation: string;
  /** Stops both code-servers (gracefully first) and the broker. */
  stop(): Promise<void>;
}

export interface CoEditingInit {
  /** Everything goes under here: alice/, bob/, broker/, vscode-alice/, vscode-bob/. */
  root: string;
  /** Alice's files (relative path → text). */
  files: Record<string, string>;
  vsix: string;
  /** Extra user settings for both windows. */
  settings?: Record<string, unknown>;
  say: Say;
}

/** The user settings of `npm start`'s windows (beside Weft's own): the editor bench measures with the same. */
export const DEMO_SETTINGS: Readonly<Record<string, unknown>> = { 'files.autoSave': 'afterDelay', 'files.autoSaveDelay': 500, 'git.openRepositoryInParentFolders': 'never' };

/** Starts the broker and both code-servers with the .vsix and Weft settings (no browser yet). */
export async function startEditorServers(init: CoEditingInit): Promise<CoEditingWindows> {
  const { root, say } = init;
  const aliceDir = join(root, 'alice');
  const bobDir = join(root, 'bob');
  mkdirSync(bobDir, { recursive: true });
  for (const [path, text] of Object.entries(init.files)) {
    mkdirSync(dirname(join(aliceDir, path)), { recursive: true });
    writeFileSync(join(aliceDir, path), text);
  }
  const broker = await startBroker(join(root, 'broker'));
  say(`broker listening on ${broker.addr}`);
  const servers: CodeServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop(5000)));
    await broker.stop();
  };
  try {
    for (const [name, folder] of [
      ['Alice', aliceDir],
      ['Bob', bobDir],
    ] as const) {
      const base = join(root, `vscode-${name.toLowerCase()}`);
      const ext = join(base, 'ext');
      const inst = spawnSync(codeServerBin, ['--install-extension', init.vsix, '--extensions-dir', ext], { encoding: 'utf8', env: { ...process.env, TMPDIR: mkTmp(base) } });
      if (inst.status !== 0) throw new Error(`installing the .vsix into ${name}'s code-server failed:\n${inst.stdout}${inst.stderr}`);
      const server = await startCodeServer(folder, { base, extensionsDir: ext });
      servers.push(server);
      const settingsPath = join(server.userDataDir, 'User/settings.json');
      const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as Record<string, unknown>;
      Object.assign(settings, { 'weft.brokers': [broker.addr], 'weft.displayName': name, 'weft.lan': false, ...init.settings });
      writeFileSync(settingsPath, JSON.stringify(settings, null, 2));
      say(`${name}'s VS Code (code-server) on ${server.url}, folder ${folder}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const window = (name: 'Alice' | 'Bob', server: CodeServer): EditorWindow => ({ name, folder: server.folder, server, url: `${server.url}/?folder=${encodeURIComponent(server.folder)}` });
  return { broker, alice: window('Alice', servers[0]!), bob: window('Bob', servers[1]!), invitation: '', stop };
}

function mkTmp(base: string): string {
  const t = join(base, 'tmp');
  mkdirSync(t, { recursive: true });
  return t;
}

async function readClipboard(page: Page): Promise<string> {
  await page.bringToFront();
  return page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
}

export async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Opens both windows in `context`: resolves with Alice's and Bob's pages once both workbenches show. */
export async function openWindows(context: BrowserContext, w: CoEditingWindows): Promise<{ alice: Page; bob: Page }> {
  const pages = context.pages();
  const alice = pages[0] ?? (await context.newPage());
  const bob = await context.newPage();
  await Promise.all([openWorkbench(alice, w.alice.server), openWorkbench(bob, w.bob.server)]);
  return { alice, bob };
}

/**
 * Through the UI, as the README tells a person: Alice shares her folder; Bob copies his
 * public key; Alice grants it writer access; Bob joins with the invitation and Alice's
 * files arrive on his disk.
 */
export async function shareGrantJoin(w: CoEditingWindows, alice: Page, bob: Page, say: Say): Promise<void> {
  await alice.bringToFront();
  await runCommand(alice, 'Weft: Share This Folder', 120_000);
  await waitForNotification(alice, /invitation/i, 90_000);
  w.invitation = (await readClipboard(alice)).trim();
  if (!w.invitation.startsWith('weft-invite:')) throw new Error(`no invitation on the clipboard after sharing (got "${w.invitation.slice(0, 40)}")`);
  say('Alice shared her folder');
  await bob.bringToFront();
  await runCommand(bob, 'Weft: Copy My Public Key', 120_000);
  await waitForNotification(bob, /public key is on the clipboard/);
  const key = (await readClipboard(bob)).trim();
  if (!key.startsWith('weft1')) throw new Error(`no public key on the clipboard (got "${key.slice(0, 40)}")`);
  await alice.bringToFront();
  await runCommand(alice, 'Weft: Grant Access…');
  await answerInput(alice, key);
  await pickItem(alice, 'writer');
  await answerInput(alice, 'Bob');
  await waitForNotification(alice, /Granted writer access/);
  say(`Alice granted Bob (${key.slice(0, 16)}…) writer access`);
  await bob.bringToFront();
  await runCommand(bob, 'Weft: Join…');
  await answerInput(bob, w.invitation);
  await waitForNotification(bob, /Joined/, 120_000);
  const first = Object.keys(readFilesOf(w.alice.folder))[0];
  if (first) await waitUntil(`${first} on Bob's disk`, () => existsSync(join(w.bob.folder, first)), 90_000);
  say('Bob joined; Alice\'s files are in his folder');
}

function readFilesOf(dir: string): Record<string, true> {
  return Object.fromEntries(readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => [e.name, true as const]));
}

/**
 * Types a marker at the end of `file` in Alice's editor and waits for Bob's editor to
 * show it, then deletes it the same way. Proves the two windows co-edit.
 */
export async function checkCoEditing(alice: Page, bob: Page, file: string, say: Say): Promise<void> {
  await openFile(alice, file);
  await openFile(bob, file);
  const marker = `checked-${Date.now().toString(36)}`;
  await alice.bringToFront();
  await focusEditor(alice);
  await alice.keyboard.press('Control+End');
  const t0 = Date.now();
  await alice.keyboard.type(marker, { delay: 30 });
  await waitUntil(`"${marker}" typed in Alice's window to show in Bob's`, async () => (await visibleEditorText(bob)).includes(marker), 60_000);
  say(`typed "${marker}" in Alice's window: Bob's window showed it (${Date.now() - t0} ms after the first key)`);
  for (let i = 0; i < marker.length; i++) await alice.keyboard.press('Backspace', { delay: 20 });
  await waitUntil('the marker\'s deletion to show in Bob\'s window', async () => !(await visibleEditorText(bob)).includes(marker.slice(0, 8)), 60_000);
  say('deleted it again: gone in Bob\'s window too');
}

/** Extension host processes of a code-server (they run in its process group). */
export function extensionHosts(server: CodeServer): number {
  const ps = execFileSync('ps', ['-o', 'args=', '-g', String(server.pid)], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes('--type=extensionHost')).length;
}

/**
 * Closes the windows as a person closes a tab (unload handlers run), then the browser.
 * A window that merely disconnects keeps its extension host — and its Weft session,
 * which holds the share's log — for code-server's 3-hour reconnection grace time; a
 * window that unloads tells the server to dispose of it. Waits until each server has no
 * extension host left, so the next window can resume the share.
 */
export async function closeWindows(context: BrowserContext, w: CoEditingWindows): Promise<void> {
  for (const page of context.pages()) {
    page.on('dialog', (d) => void d.accept());
    await page.close({ runBeforeUnload: true });
  }
  await waitUntil('the closed windows\' extension hosts to exit', () => extensionHosts(w.alice.server) + extensionHosts(w.bob.server) === 0, 30_000);
  await context.close();
}

/**
 * The whole set-up in the browser, on the profile in `profileDir`: opens both windows,
 * shares, grants and joins through the UI, lets VS Code store its state, and closes the
 * windows again (see closeWindows). `track` learns the open browser, to close it on a signal.
 */
export async function setUpShare(w: CoEditingWindows, profileDir: string, say: Say, track: (browser: BrowserContext | undefined) => void): Promise<void> {
  const browser = await launchProfile(profileDir);
  track(browser);
  const { alice, bob } = await openWindows(browser, w);
  await shareGrantJoin(w, alice, bob, say);
  await new Promise((r) => setTimeout(r, 2000));
  await closeWindows(browser, w);
  track(undefined);
}
