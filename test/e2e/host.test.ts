/**
 * The extension-host suite (test/e2e/host/) run inside a real VS Code: code-server's
 * Node extension host, with Weft loaded in development mode.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { e2eAvailable, launchBrowser, repoRoot, runInExtensionHost, startCodeServer, type CodeServer } from '../../tools/editor-driver/code-server.js';

describe('e2e: extension host suite in code-server', function () {
  this.timeout(300_000);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;

  before(function () {
    const missing = e2eAvailable();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('runs the host suite and it passes', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'weft-ws-'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'hello.md'), '# hello\n');
    server = await startCodeServer(folder);
    browser = await launchBrowser();
    const { code, page, failures } = await runInExtensionHost(browser, server, repoRoot, join(repoRoot, 'dist/test-host/index.cjs'));
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts/host-suite.png') }).catch(() => undefined);
    assert.equal(code, 0, `the extension host suite failed:\n${failures.join('\n') || '(no failure reached the console: see the code-server output)'}`);
  });
});
