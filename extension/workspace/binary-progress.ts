/**
 * What a member sees of binary files arriving: a notification with progress for fetches
 * above LARGE_BYTES, the status bar for smaller ones, and a clear message when a version
 * cannot be fetched yet ("waiting for a teammate or broker that has <file>"). The binary
 * mirror (protocol/mirror/binary-mirror.ts, run by the folder mirror) reports each step
 * here; onDidTransfer repeats them for tests.
 */
import * as vscode from 'vscode';
import { ObjectUnavailableError, FetchAbortedError, ShareKeysMissingError } from '../../protocol/runtime/index.js';
import type { BinaryFetchEvent } from '../../protocol/mirror/index.js';

/** Fetches above this show a notification with progress; smaller ones the status bar. */
export const LARGE_BYTES = 1024 * 1024;
const UI_THROTTLE_MS = 100;

/** One step of a fetch, as shown to the user. */
export interface BinaryTransferReport extends Omit<BinaryFetchEvent, 'ref' | 'error'> {
  readonly shownIn: 'notification' | 'status bar';
  /** state 'failed': the message shown (or logged) */
  readonly message?: string;
}

interface Shown {
  readonly path: string;
  readonly shownIn: BinaryTransferReport['shownIn'];
  lastUi: number;
  percent: number;
  report?: (r: { increment: number; message: string }) => void;
  finish?: () => void;
}

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

export class BinaryProgress implements vscode.Disposable {
  private readonly shown = new Map<string, Shown>();
  /** Files whose versions no connected peer or broker had, by object id. */
  private readonly waiting = new Map<string, string>();
  private readonly warned = new Set<string>();
  private readonly transferred = new vscode.EventEmitter<BinaryTransferReport>();
  /** Every fetch step (start, progress, done, failed). */
  readonly onDidTransfer = this.transferred.event;
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 99);
  private disposed = false;

  constructor(private readonly log: (line: string) => void) {}

  observe(e: BinaryFetchEvent): void {
    if (this.disposed) return;
    let s = this.shown.get(e.ref.id);
    if (e.state === 'start' || !s) {
      s?.finish?.();
      s = this.show(e);
      this.shown.set(e.ref.id, s);
      this.updateStatus();
    }
    let message: string | undefined;
    if (e.state === 'progress') {
      const now = Date.now();
      if (now - s.lastUi >= UI_THROTTLE_MS) {
        s.lastUi = now;
        const percent = e.bytesTotal ? Math.floor((e.bytesDone / e.bytesTotal) * 100) : 100;
        s.report?.({ increment: percent - s.percent, message: `${mb(e.bytesDone)} of ${mb(e.bytesTotal)}` });
        s.percent = percent;
        this.updateStatus();
      }
    } else if (e.state === 'done' || e.state === 'failed') {
      s.finish?.();
      this.shown.delete(e.ref.id);
      if (e.state === 'done') this.waiting.delete(e.ref.id);
      else message = this.failed(e);
      this.updateStatus();
    }
    this.transferred.fire({ path: e.path, state: e.state, bytesDone: e.bytesDone, bytesTotal: e.bytesTotal, shownIn: s.shownIn, ...(message ? { message } : {}) });
  }

  private show(e: BinaryFetchEvent): Shown {
    if (e.bytesTotal <= LARGE_BYTES) return { path: e.path, shownIn: 'status bar', lastUi: 0, percent: 0 };
    const s: Shown = { path: e.path, shownIn: 'notification', lastUi: 0, percent: 0 };
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Weft: receiving ${e.path} (${mb(e.bytesTotal)})` },
      (progress) =>
        new Promise<void>((resolve) => {
          s.report = (r) => progress.report(r);
          s.finish = resolve;
        }),
    );
    return s;
  }

  /** The message for a failed fetch (shown once per version; retried in the background). */
  private failed(e: BinaryFetchEvent): string | undefined {
    if (e.error instanceof FetchAbortedError || e.error instanceof ShareKeysMissingError) return undefined;
    const once = (text: string, show: (t: string) => unknown) => {
      if (!this.warned.has(e.ref.id)) {
        this.warned.add(e.ref.id);
        void show(text);
      }
      this.log(text);
      return text;
    };
    if (e.error instanceof ObjectUnavailableError) {
      this.waiting.set(e.ref.id, e.path);
      return once(`Weft: waiting for a teammate or broker that has ${e.path} (${mb(e.bytesTotal)}); it arrives when one of them is online.`, (t) => vscode.window.showWarningMessage(t));
    }
    const why = e.error instanceof Error ? e.error.message : String(e.error);
    return once(`Weft: could not receive ${e.path}: ${why}. Weft retries; if this persists, ask its author to save it again.`, (t) => vscode.window.showErrorMessage(t));
  }

  private updateStatus(): void {
    if (this.disposed) return;
    const small = [...this.shown.values()].filter((s) => s.shownIn === 'status bar');
    if (small.length === 1) {
      this.statusItem.text = `$(cloud-download) Weft: ${small[0]!.path} ${small[0]!.percent}%`;
      this.statusItem.tooltip = `Receiving ${small[0]!.path}`;
    } else if (small.length > 1) {
      this.statusItem.text = `$(cloud-download) Weft: receiving ${small.length} files`;
      this.statusItem.tooltip = small.map((s) => `${s.path} ${s.percent}%`).join('\n');
    } else if (this.waiting.size > 0) {
      this.statusItem.text = `$(cloud-download) Weft: waiting for ${this.waiting.size} file${this.waiting.size === 1 ? '' : 's'}`;
      this.statusItem.tooltip = `No teammate or broker online has these yet:\n${[...this.waiting.values()].join('\n')}`;
    } else {
      this.statusItem.hide();
      return;
    }
    this.statusItem.show();
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.shown.values()) s.finish?.();
    this.shown.clear();
    this.statusItem.dispose();
    this.transferred.dispose();
  }
}
