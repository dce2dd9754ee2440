/** What activate() returns: a small handle for tests and the scenario harness. */
import type * as vscode from 'vscode';
import type { ReadOnlyNotice } from './binding/read-only-notice.js';
import type { RenderedPresence } from './presence/remote-cursors.js';
import type { SessionRegistry } from './session/session-registry.js';
import type { ShareSession } from './session/share-session.js';
import { revertPrompt } from './workspace/revert-prompt.js';

const askInDialog = revertPrompt.ask;

export interface WeftTestApi {
  /** The running session of a folder (default: the first workspace folder). */
  session(folder?: vscode.Uri): ShareSession | undefined;
  /** Every running session. */
  sessions(): ShareSession[];
  /** The status bar text. */
  statusText(): string;
  /** The last read-only warning shown to a reader. */
  lastReadOnlyMessage(): string;
  /** Has a reader's editor of `uri` been made read-only? */
  readOnlyLocked(uri: vscode.Uri): boolean;
  /** Teammates' cursors and selections as rendered in the visible editors (VS Code cannot read decorations back). */
  remoteCursors(): RenderedPresence[];
  /** Whom "Weft: Follow…" follows (hex key and name), and the status bar hint. */
  following(): { member: string; name: string; statusText: string } | undefined;
  /** Stops a folder's session as closing VS Code would (the binding stays). */
  pause(folder: vscode.Uri): Promise<void>;
  /** Starts it again as reopening VS Code would. */
  resume(folder: vscode.Uri): Promise<ShareSession | undefined>;
  /** Answers "Git put a file back to HEAD: remove that text for everyone?" instead of a dialog (undefined: the dialog again). */
  answerRevertPrompts(answer: ((path: string, removedChars: number) => Promise<boolean>) | undefined): void;
}

/** The presence parts of the test API, given by activate(). */
export type PresenceTestView = Pick<WeftTestApi, 'remoteCursors' | 'following'>;

/** Pausing and resuming a folder's session, given by activate(). */
export type SessionLifecycle = Pick<WeftTestApi, 'pause' | 'resume'>;

export function testApi(registry: SessionRegistry, defaultFolder: () => vscode.Uri | undefined, statusText: () => string, readOnly: Pick<ReadOnlyNotice, 'lastMessage' | 'isLocked'>, presence: PresenceTestView, lifecycle: SessionLifecycle): WeftTestApi {
  return {
    session: (folder) => {
      const f = folder ?? defaultFolder();
      return f ? registry.get(f) : undefined;
    },
    sessions: () => registry.all(),
    statusText,
    lastReadOnlyMessage: () => readOnly.lastMessage,
    readOnlyLocked: (uri) => readOnly.isLocked(uri),
    remoteCursors: () => presence.remoteCursors(),
    following: () => presence.following(),
    pause: (folder) => lifecycle.pause(folder),
    resume: (folder) => lifecycle.resume(folder),
    answerRevertPrompts: (answer) => {
      revertPrompt.ask = answer ?? askInDialog;
    },
  };
}
