/** Which share session and share file an editor document belongs to. */
import type * as vscode from 'vscode';
import type { FileId } from '../../protocol/src/index.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ShareSession } from '../session/share-session.js';
import { sharePathOf } from '../workspace/paths.js';
import { textDocumentAt } from './presence-location.js';
import type { AnchorSource } from './presence-ranges.js';

export interface SharedFile {
  session: ShareSession;
  path: string;
  file: FileId;
  doc: AnchorSource;
}

/** The running session and text file of `uri`, if it is a text file of a shared folder. */
export function sharedFileOf(registry: SessionRegistry, uri: vscode.Uri): SharedFile | undefined {
  for (const session of registry.all()) {
    if (!session.running) continue;
    const path = sharePathOf(session.folder, uri);
    if (path === undefined) continue;
    const at = textDocumentAt(session.replica, path);
    if (at) return { session, path, ...at };
  }
  return undefined;
}
