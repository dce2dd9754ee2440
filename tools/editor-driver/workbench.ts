/**
 * Driving the VS Code workbench in the browser like a person: command palette, input
 * boxes, quick picks, notifications, editors. Selectors from docs/TESTING.md
 * (VS Code 1.100.3).
 */
import type { Page } from 'playwright-core';
import type { CodeServer } from './code-server.js';

/** Opens the workbench on the server's folder and waits until the explorer shows it. */
export async function openWorkbench(page: Page, server: CodeServer): Promise<void> {
  await page.goto(`${server.url}/?folder=${encodeURIComponent(server.folder)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  await page.waitForSelector('.explorer-folders-view', { timeout: 90_000 });
  // Extensions activate after the workbench restores; give the status bar time to settle.
  await page.waitForSelector('.statusbar', { timeout: 30_000 });
}

/**
 * Runs a command from the palette by its title (e.g. "Weft: Share This Folder"). The
 * extension's contributions can appear some seconds after the workbench: retry until
 * the command is listed (up to `timeoutMs`).
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`>${title}`);
    try {
      await row.waitFor({ timeout: 5_000 });
      break;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw err;
      await page.waitForTimeout(1000);
    }
  }
  await page.keyboard.press('Enter');
}

/** Types into the open input box (after a command asked for input) and accepts it. */
export async function answerInput(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** Chooses an item in the open quick pick by its label. */
export async function pickItem(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

/** Waits for a notification whose message contains `text`; returns its full message. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const item = page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
  await item.waitFor({ timeout: timeoutMs });
  return (await item.textContent()) ?? '';
}

/** Clicks a button of the notification containing `text`. */
export async function clickNotificationButton(page: Page, text: string | RegExp, button: string): Promise<void> {
  const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: text }).first();
  await toast.locator('.monaco-button', { hasText: button }).first().click();
}

/** Opens a file by path with Quick Open. */
export async function openFile(page: Page, relativePath: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(relativePath);
  await page.locator('.quick-input-widget .monaco-list-row').first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor({ timeout: 15_000 });
}

/** Focuses the active editor (without moving the cursor if it is already focused). */
export async function focusEditor(page: Page): Promise<void> {
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
}

/** The text the active editor shows (visible lines, in order). */
export async function visibleEditorText(page: Page): Promise<string> {
  return page.evaluate(() => {
    // Runs in the browser.
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ style: { top: string }; textContent: string | null }> } }).document;
    const lines = Array.from(doc.querySelectorAll('.editor-group-container.active .monaco-editor .view-lines .view-line'));
    return lines
      .map((l) => ({ top: parseFloat(l.style.top || '0'), text: (l.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text)
      .join('\n');
  });
}
