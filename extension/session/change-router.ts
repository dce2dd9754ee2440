/** Sends the replica's changes where they belong: open documents, the folder on disk (text and binary), the status. */
import type { FileId, ReplicaChange } from '../../protocol/src/index.js';
import type { EditorBinding } from '../binding/editor-binding.js';
import type { WorkspaceMirror } from '../workspace/workspace-mirror.js';

export function routeChanges(changes: readonly ReplicaChange[], editors: EditorBinding, files: WorkspaceMirror, membersChanged: () => void): void {
  const toDisk: ReplicaChange[] = [];
  let reset = false;
  let members = false;
  for (const c of changes) {
    // Text of an open document goes to its editor (VS Code saves it); the rest to disk.
    if (c.type === 'text' && editors.remoteText(c.file as FileId, c.changes)) continue;
    toDisk.push(c);
    if (c.type === 'reset') reset = true;
    else if (c.type === 'members') members = true;
  }
  if (reset) editors.reloadAll();
  if (toDisk.length) files.shareChanged(toDisk);
  if (members || reset) membersChanged();
}
