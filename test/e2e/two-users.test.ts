/**
 * Two users, two real VS Codes (code-server instances with the packaged .vsix
 * installed), two folders, two identities, and a `weft broker` process: share, grant
 * by public key, join; both type into one file at once; both editors and both disks end
 * identical. Screenshots of both windows go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { e2eAvailable, launchBrowser, repoRoot, startCodeServer, type CodeServer } from '../../tools/editor-driver/code-server.js';
import { answerInput, focusEditor, openFile, openWorkbench, pickItem, runCommand, visibleEditorText, waitForNotification } from '../../tools/editor-driver/workbench.js';

const weft = join(repoRoot, 'out/bin/weft.js');
const codeServerBin = join(repoRoot, '.e2e/node_modules/.bin/code-server');

function startBroker(dataDir: string, listen = ['/ip4/127.0.0.1/tcp/0']): Promise<{ proc: ChildProcess; addr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [weft, 'broker', '--data', dataDir, ...listen.flatMap((l) => ['--listen', l])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => reject(new Error(`broker did not start: ${out}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ proc, addr: m[1]! });
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  });
}

function packageVsix(): string {
  const vsix = join(repoRoot, 'weft-0.1.0.vsix');
  const r = spawnSync('npm', ['run', 'package', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(vsix)) throw new Error(`npm run package failed: ${r.stdout}${r.stderr}`);
  return vsix;
}

async function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, detail?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `\n${await detail().catch((e: unknown) => String(e))}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('e2e: two users co-edit through a broker in two real VS Codes', function () {
  this.timeout(600_000);
  const base = mkdtempSync(join(tmpdir(), 'weft-2u-'));
  const artifacts = join(repoRoot, 'test-artifacts');
  let broker: { proc: ChildProcess; addr: string } | undefined;
  const servers: CodeServer[] = [];
  let browser: Browser | undefined;
  let alice: Page;
  let bob: Page;
  let bobContext: BrowserContext | undefined;
  const aliceDir = join(base, 'alice');
  const bobDir = join(base, 'bob');

  before(async function () {
    const missing = e2eAvailable();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    mkdirSync(aliceDir);
    mkdirSync(bobDir);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(aliceDir, 'notes.md'), '# Plan\n\n');
    broker = await startBroker(join(base, 'broker'));
    const vsix = packageVsix();
    for (const [name, dir] of [
      ['Alice', aliceDir],
      ['Bob', bobDir],
    ] as const) {
      const ext = join(base, `ext-${name}`);
      const inst = spawnSync(codeServerBin, ['--install-extension', vsix, '--extensions-dir', ext], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmpdir() } });
      assert.equal(inst.status, 0, `installing the .vsix failed: ${inst.stdout}${inst.stderr}`);
      const server = await startCodeServer(dir, { extensionsDir: ext });
      const settingsPath = join(server.userDataDir, 'User/settings.json');
      const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as Record<string, unknown>;
      Object.assign(settings, { 'weft.brokers': [broker.addr], 'weft.displayName': name, 'weft.lan': false, 'files.autoSave': 'afterDelay', 'files.autoSaveDelay': 300 });
      writeFileSync(settingsPath, JSON.stringify(settings));
      servers.push(server);
    }
    browser = await launchBrowser();
    const open = async (server: CodeServer): Promise<Page> => {
      const ctx: BrowserContext = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
      await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      const page = await ctx.newPage();
      await openWorkbench(page, server);
      return page;
    };
    alice = await open(servers[0]!);
    bob = await open(servers[1]!);
    bobContext = bob.context();
  });

  after(async () => {
    if (alice) await alice.screenshot({ path: join(artifacts, 'two-users-alice.png') }).catch(() => undefined);
    if (bob) await bob.screenshot({ path: join(artifacts, 'two-users-bob.png') }).catch(() => undefined);
    await browser?.close();
    for (const s of servers) await s.stop();
    broker?.proc.kill('SIGTERM');
  });

  let invitation = '';
  /** Rendered editor text without line breaks (Markdown editors wrap long lines). */
  const flat = (t: string) => t.replace(/\r?\n/g, '');
  const bothTexts = async () => {
    const [a, b] = await Promise.all([visibleEditorText(alice), visibleEditorText(bob)]);
    const disk = (d: string) => (existsSync(join(d, 'notes.md')) ? readFileSync(join(d, 'notes.md'), 'utf8') : '(missing)');
    return `  alice editor: ${JSON.stringify(a)}\n  bob editor:   ${JSON.stringify(b)}\n  alice disk:   ${JSON.stringify(disk(aliceDir))}\n  bob disk:     ${JSON.stringify(disk(bobDir))}`;
  };

  it('Alice shares her folder and gets an invitation', async () => {
    await runCommand(alice, 'Weft: Share This Folder');
    await waitForNotification(alice, /invitation/i, 60_000);
    invitation = await readClipboard(alice);
    assert.match(invitation, /^weft-invite:/);
  });

  it('Bob sends his public key; Alice grants him writer access', async () => {
    await runCommand(bob, 'Weft: Copy My Public Key');
    await waitForNotification(bob, /public key is on the clipboard/);
    const key = (await readClipboard(bob)).trim();
    assert.match(key, /^weft1/);
    await runCommand(alice, 'Weft: Grant Access…');
    await answerInput(alice, key);
    await pickItem(alice, 'writer');
    await answerInput(alice, 'Bob');
    await waitForNotification(alice, /Granted writer access/);
  });

  it('Bob joins with the invitation into his empty folder and the files appear', async () => {
    await runCommand(bob, 'Weft: Join…');
    await answerInput(bob, invitation);
    await waitForNotification(bob, /Joined/, 90_000);
    await waitFor('notes.md on Bob\'s disk', () => existsSync(join(bobDir, 'notes.md')) && readFileSync(join(bobDir, 'notes.md'), 'utf8') === '# Plan\n\n');
  });

  // Once found flaky: a remote change refused 50 times while the user typed was dropped from
  // the editor (the binding now retries without giving up).
  it('both edit notes.md in turns; both editors and both disks end identical', async () => {
    await openFile(alice, 'notes.md');
    await openFile(bob, 'notes.md');
    const aliceText = 'alice types at the end. ';
    const bobText = 'bob types at the start. ';
    await focusEditor(alice);
    await alice.keyboard.press('Control+End');
    await alice.keyboard.type(aliceText, { delay: 25 });
    await waitFor("Alice's words in Bob's editor", async () => (await visibleEditorText(bob)).includes(aliceText.trim()), 60_000);
    await focusEditor(bob);
    await bob.keyboard.press('Control+Home');
    await bob.keyboard.type(bobText, { delay: 25 });
    // Disks are the ground truth (files.autoSave is on); the editors must show both too.
    await waitFor('both disks to converge', () => {
      const a = readFileSync(join(aliceDir, 'notes.md'), 'utf8');
      const b = readFileSync(join(bobDir, 'notes.md'), 'utf8');
      return a === b && a.startsWith(bobText) && a.includes(aliceText);
    }, 90_000);
    await waitFor('both editors to show both edits', async () => {
      const [a, b] = await Promise.all([visibleEditorText(alice), visibleEditorText(bob)]);
      return [a, b].every((t) => t.includes(aliceText.trim()) && t.includes(bobText.trim()));
    }, 30_000);
    await alice.screenshot({ path: join(artifacts, 'two-users-alice.png') });
    await bob.screenshot({ path: join(artifacts, 'two-users-bob.png') });
  });

  // Typing in the browser runs ahead of the extension host: remote changes are applied
  // between keystrokes, and no character is lost, doubled or misplaced.
  it('both type into notes.md at the same moment; both editors end identical', async () => {
    await focusEditor(alice);
    await alice.keyboard.press('Control+End');
    await focusEditor(bob);
    await bob.keyboard.press('Control+Home');
    await Promise.all([alice.keyboard.type('concurrent-alice ', { delay: 30 }), bob.keyboard.type('concurrent-bob ', { delay: 30 })]);
    await waitFor('both editors to converge', async () => {
      const [a, b] = await Promise.all([visibleEditorText(alice), visibleEditorText(bob)]);
      return a === b && a.includes('concurrent-alice') && a.includes('concurrent-bob');
    }, 60_000, bothTexts);
    // A while longer, on one line, a few characters apart, with new lines: every character
    // of both arrives once, in order, in both editors and on both disks.
    const aliceLine = 'Alice writes this sentence while Bob writes his.\nAnd a second line from Alice.';
    const bobLine = 'Bob-types-here-at-the-same-time-as-Alice.\nBob again.';
    await focusEditor(alice);
    await alice.keyboard.press('Control+Home');
    await alice.keyboard.press('End');
    await focusEditor(bob);
    await bob.keyboard.press('Control+Home');
    await bob.keyboard.press('End');
    await bob.keyboard.press('ArrowLeft');
    await bob.keyboard.press('ArrowLeft');
    await Promise.all([alice.keyboard.type(aliceLine, { delay: 15 }), bob.keyboard.type(bobLine, { delay: 15 })]);
    const disk = (d: string) => readFileSync(join(d, 'notes.md'), 'utf8');
    await waitFor('both editors and both disks to converge with every character', async () => {
      const [a, b] = await Promise.all([visibleEditorText(alice), visibleEditorText(bob)]);
      const da = disk(aliceDir);
      return flat(a) === flat(b) && flat(a) === flat(da) && da === disk(bobDir) && da.includes(aliceLine) && da.includes(bobLine);
    }, 60_000, bothTexts);
  });

  it('each sees the other in the presence and access panel', async () => {
    // Alice sees Bob by the name she granted him; Bob sees the owner by her display name (from her signed presence).
    for (const [page, other] of [
      [alice, 'Bob'],
      [bob, 'Alice'],
    ] as const) {
      await runCommand(page, 'Weft: Show Teammates and Access');
      const panel = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
      try {
        await panel.locator('li.member .name', { hasText: other }).first().waitFor({ timeout: 30_000 });
      } catch (err) {
        console.log('frames:', page.frames().map((f) => f.url().slice(0, 80)));
        await page.screenshot({ path: join(artifacts, 'two-users-panel-failure.png') });
        throw err;
      }
      await page.screenshot({ path: join(artifacts, `two-users-panel-${other === 'Bob' ? 'alice' : 'bob'}.png`) });
      await runCommand(page, 'View: Close Editor');
    }
  });

  /** Is a cursor label with `name` shown in `page`'s active editor? (a decoration's ::after content, extension/presence/remote-cursors.ts) */
  const cursorLabelShown = (page: Page, name: string) =>
    page.evaluate((name) => {
      // Runs in the browser.
      type El = object;
      const g = globalThis as unknown as {
        document: { querySelectorAll(s: string): ArrayLike<El> };
        getComputedStyle(e: El, pseudo: string): { content: string; display: string; visibility: string };
      };
      return Array.from(g.document.querySelectorAll('.editor-group-container.active .monaco-editor .view-lines span')).some((s) => {
        const st = g.getComputedStyle(s, '::after');
        return st.content.includes(name) && st.display !== 'none' && st.visibility !== 'hidden';
      });
    }, name);

  it('Bob sees Alice\'s display name on her cursor (not "owner") and one broker in his status bar', async () => {
    await openFile(alice, 'notes.md');
    await openFile(bob, 'notes.md');
    await focusEditor(alice);
    await alice.keyboard.press('Control+Home');
    await alice.keyboard.press('ArrowDown');
    await waitFor('Alice\'s name label in Bob\'s editor', () => cursorLabelShown(bob, 'Alice'), 30_000);
    assert.equal(await cursorLabelShown(bob, 'owner'), false, 'the label says "owner"');
    const status = () => bob.locator('.statusbar-item', { hasText: 'Weft:' }).first().textContent();
    await waitFor('Bob\'s status bar to name the broker', async () => /broker/.test((await status()) ?? ''), 30_000);
    assert.match((await status()) ?? '', /\b1 broker\b/, 'one broker, reached by the invitation and by the settings, counts once');
  });

  it('Bob\'s cursor and name show in Alice\'s editor when he moves it in notes.md', async () => {
    await openFile(alice, 'notes.md');
    await openFile(bob, 'notes.md');
    await focusEditor(bob);
    await bob.keyboard.press('Control+End');
    await bob.keyboard.press('ArrowUp');
    const labelShown = () => cursorLabelShown(alice, 'Bob');
    await waitFor('Bob\'s name label in Alice\'s editor', labelShown, 30_000);
    await alice.screenshot({ path: join(artifacts, 'two-users-alice-sees-bob-cursor.png') });
  });

  // Bob's offline disk edit is merged against the text disk and share last agreed on
  // (the mirror's records, protocol/mirror/), even though VS Code restores notes.md in an editor.
  it('Bob closes VS Code and edits the file with another tool while Alice types; on return everything merges', async () => {
    await bob.close();
    await servers[1]!.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await openFile(alice, 'notes.md');
    await focusEditor(alice);
    await alice.keyboard.press('Control+End');
    await alice.keyboard.type('while-bob-away ', { delay: 20 });
    const onDisk = readFileSync(join(bobDir, 'notes.md'), 'utf8');
    writeFileSync(join(bobDir, 'notes.md'), `offline-bob ${onDisk}`);
    servers[1] = await startCodeServer(bobDir, { reuse: servers[1]! });
    bob = await bobContext!.newPage();
    await openWorkbench(bob, servers[1]!);
    await openFile(bob, 'notes.md');
    await waitFor('both sides to merge after Bob returns', async () => {
      const [a, b] = await Promise.all([visibleEditorText(alice), visibleEditorText(bob)]);
      // Markdown editors wrap long lines: compare the rendered texts without line breaks, and the disks exactly.
      const da = readFileSync(join(aliceDir, 'notes.md'), 'utf8');
      return flat(a) === flat(b) && flat(a) === flat(da) && da === readFileSync(join(bobDir, 'notes.md'), 'utf8') && da.includes('offline-bob') && da.includes('while-bob-away');
    }, 120_000, bothTexts);
  });

  it('Alice revokes Bob: his next edit does not reach her', async () => {
    await runCommand(alice, 'Weft: Revoke Access…');
    await pickItem(alice, 'Bob');
    await waitForNotification(alice, /Revoked access/);
    await new Promise((r) => setTimeout(r, 3000));
    await openFile(bob, 'notes.md');
    await focusEditor(bob);
    await bob.keyboard.press('Control+Home');
    await bob.keyboard.type('revoked-bob ', { delay: 20 });
    await new Promise((r) => setTimeout(r, 6000));
    assert.ok(!(await visibleEditorText(alice)).includes('revoked-bob'), 'a revoked member\'s edit reached the owner');
    assert.ok(!readFileSync(join(aliceDir, 'notes.md'), 'utf8').includes('revoked-bob'));
    await alice.screenshot({ path: join(artifacts, 'two-users-alice-after-revoke.png') });
    await bob.screenshot({ path: join(artifacts, 'two-users-bob-after-revoke.png') });
  });
});
