/**
 * The main job (`npm start`): a local `weft broker` and two co-editing VS Code windows
 * (code-server, opened in a browser) — Alice on a demo folder, Bob on an empty one.
 *
 *   node out/bin/vscode-demo.js [--dir .weft-demo] [--no-check]
 *
 * Packages the .vsix, installs code-server and Chromium if missing
 * (scripts/e2e-setup.sh), starts the broker and both code-servers, then sets the share
 * up through the UI in headless Chromium (Alice shares, grants Bob's public key, Bob
 * joins), on a browser profile kept in <dir>/browser: VS Code in a browser keeps the
 * extension's secrets and state in the browser profile (see tools/editor-driver/co-editing-windows.ts),
 * so the person opens the windows with that profile. Then reopens both windows in a new
 * browser process on that profile and checks that typing in Alice's appears in Bob's.
 * Prints how to open them and runs until Ctrl+C (or SIGTERM), then stops everything.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { repoRoot } from '../tools/editor-driver/code-server.js';
import { DEMO_SETTINGS, checkCoEditing, closeWindows, ensureEditorTools, launchProfile, openWindows, packageVsix, setUpShare, startEditorServers, type CoEditingWindows } from '../tools/editor-driver/co-editing-windows.js';

const DEMO_FILES: Record<string, string> = {
  'notes.md': '# Weft demo\n\nThis file is open in two VS Code windows: Alice\'s and Bob\'s.\nType here in one and watch the other.\n\n',
  'hello.ts': 'export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n',
  'todo.txt': '- share a folder\n- grant a teammate by public key\n- co-edit\n',
};
const MARK = '.weft-demo-root';

const { values: opts } = parseArgs({ options: { dir: { type: 'string' }, 'no-check': { type: 'boolean' } } });
const root = resolve(opts.dir ?? join(repoRoot, '.weft-demo'));
const say = (line: string): void => console.log(`[weft demo] ${line}`);

let windows: CoEditingWindows | undefined;
let browser: BrowserContext | undefined;
let stopping: Promise<void> | undefined;
function shutdown(why: string, code: number): Promise<void> {
  stopping ??= (async () => {
    say(`${why}: stopping the browser, both code-servers and the broker…`);
    await browser?.close().catch(() => undefined);
    await windows?.stop();
    say('stopped');
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void shutdown('Ctrl+C', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

async function main(): Promise<void> {
  say('installing what the windows need, if missing (code-server and Chromium in .e2e/)');
  ensureEditorTools(say);
  say('packaging the extension (npm run package)');
  const vsix = packageVsix();
  if (existsSync(root)) {
    if (!existsSync(join(root, MARK))) throw new Error(`${root} exists and is not a Weft demo folder; choose another with --dir`);
    rmSync(root, { recursive: true, force: true });
  }
  say(`a fresh demo in ${root}`);
  // Only the marker file is written before the servers: a half-made demo is removed on the next run.
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, MARK), 'made by npm start (bin/vscode-demo.ts); removed and remade on each run\n');
  windows = await startEditorServers({ root, files: DEMO_FILES, vsix, settings: DEMO_SETTINGS, say });
  const profile = join(root, 'browser');
  say('setting the share up through the UI in headless Chromium (about a minute)');
  // Closed afterwards, so the person's browser can open the profile.
  await setUpShare(windows, profile, say, (b) => (browser = b));
  if (!opts['no-check']) {
    say('checking: a new browser on the same profile opens both windows, and typing in Alice\'s shows in Bob\'s');
    browser = await launchProfile(profile);
    const check = await openWindows(browser, windows);
    await checkCoEditing(check.alice, check.bob, 'notes.md', say);
    await new Promise((r) => setTimeout(r, 1500));
    await closeWindows(browser, windows);
    browser = undefined;
  }
  const { alice, bob } = windows;
  console.log(`
Two VS Code windows are co-editing through a local Weft broker (${windows.broker.addr}).

  Alice: ${alice.url}
  Bob:   ${bob.url}

No password (code-server listens on 127.0.0.1 only, auth: none). Open both with the
browser profile they were set up in, which holds Alice's and Bob's keys and the share:

  chromium --no-sandbox --user-data-dir=${profile} '${alice.url}' '${bob.url}'

(as root Chromium needs --no-sandbox; from another machine, forward both ports with
ssh -L first). A browser without that profile opens the same folders, but as a new
identity on an unshared folder: VS Code in a browser keeps extension secrets in the
browser. Open notes.md in both windows and type. Alice's files: ${alice.folder}
Bob's: ${bob.folder}. Press Ctrl+C to stop everything.`);
  setInterval(() => undefined, 1 << 30); // keep running until a signal
}

main().catch(async (err: unknown) => {
  console.error(`[weft demo] failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown('failed', 1);
});
