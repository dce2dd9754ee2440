/** What activate() returns: a small handle for tests and the scenario harness. */
import type * as vscode from 'vscode';
import type { SessionRegistry } from './session/session-registry.js';
import type { ShareSession } from './session/share-session.js';

export interface WeftTestApi {
  /** The running session of a folder (default: the first workspace folder). */
  session(folder?: vscode.Uri): ShareSession | undefined;
  /** Every running session. */
  sessions(): ShareSession[];
  /** The status bar text. */
  statusText(): string;
  /** The last read-only warning shown to a reader. */
  lastReadOnlyMessage(): string;
}

export function testApi(registry: SessionRegistry, defaultFolder: () => vscode.Uri | undefined, statusText: () => string, lastReadOnlyMessage: () => string): WeftTestApi {
  return {
    session: (folder) => {
      const f = folder ?? defaultFolder();
      return f ? registry.get(f) : undefined;
    },
    sessions: () => registry.all(),
    statusText,
    lastReadOnlyMessage,
  };
}
