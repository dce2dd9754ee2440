/**
 * The browser-driving helpers against a real workbench: the palette runs a Weft command
 * and its notification shows; Quick Open opens a file and typing reaches the editor.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { e2eAvailable, launchBrowser, repoRoot, startCodeServer, type CodeServer } from '../../tools/editor-driver/code-server.js';
import { focusEditor, openFile, openWorkbench, visibleEditorText } from '../../tools/editor-driver/workbench.js';

describe('e2e: driving the workbench in Chromium', function () {
  this.timeout(300_000);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    const missing = e2eAvailable();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const folder = mkdtempSync(join(tmpdir(), 'weft-wb-'));
    writeFileSync(join(folder, 'notes.md'), 'first line\n');
    server = await startCodeServer(folder);
    browser = await launchBrowser();
    page = await browser.newPage();
    await openWorkbench(page, server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens a file with Quick Open and types into it', async () => {
    await openFile(page, 'notes.md');
    await focusEditor(page);
    await page.keyboard.press('Control+End');
    await page.keyboard.type('typed by playwright');
    const deadline = Date.now() + 15_000;
    while (!(await visibleEditorText(page)).includes('typed by playwright') && Date.now() < deadline) await page.waitForTimeout(200);
    assert.match(await visibleEditorText(page), /first line\n?typed by playwright/);
    await page.screenshot({ path: join(repoRoot, 'test-artifacts/workbench.png') }).catch(() => undefined);
  });
});
