/** Sends the replica's changes where they belong: open documents, files on disk (text and binary), the status. */
import type { FileId, ManifestChange, ReplicaChange } from '../../protocol/src/index.js';
import type { EditorBinding } from '../binding/editor-binding.js';
import type { FolderSync } from '../workspace/folder-sync.js';

export function routeChanges(changes: readonly ReplicaChange[], editors: EditorBinding, files: FolderSync, membersChanged: () => void, binaries?: { remoteChanged(): void }): void {
  const manifest: ManifestChange[] = [];
  let reset = false;
  let members = false;
  let binary = false;
  for (const c of changes) {
    if (c.type === 'text') {
      if (!editors.remoteText(c.file as FileId, c.changes)) files.remoteText(c.file as FileId);
    } else if (c.type === 'manifest') manifest.push(c.change);
    else if (c.type === 'binary') binary = true;
    else if (c.type === 'reset') reset = true;
    else members = true;
  }
  if (reset) {
    editors.reloadAll();
    files.rewriteAll();
  }
  if (manifest.length) files.remoteManifest(manifest);
  if (members || reset) membersChanged();
  // Binary versions, and what may make them readable or placeable: keys, paths.
  if (binary || manifest.length || members || reset) binaries?.remoteChanged();
}
