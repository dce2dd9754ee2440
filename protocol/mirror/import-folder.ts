/**
 * A new share's first content: the folder's files taken in by one pass of the mirror (no
 * network yet) — split into commits under the limit, each file read when it is taken
 * in, and the mirror's records written so the first real run starts where this ended.
 * `weft peer init` and "Weft: Share This Folder" both start a share this way. In a Git
 * working tree the share records the branch (and commit) it was made on, and follows it.
 */
import type { ShareNode } from '../src/node/share-node.js';
import { FolderMirror } from './folder-mirror.js';
import { GitCheckout } from './git-checkout.js';
import { MirrorRecords } from './mirror-records.js';
import { NodeFolder } from './node-folder.js';
import { NodeRecordJournal } from './node-record-journal.js';

export interface ImportFolderInit {
  /** The folder on disk. */
  readonly root: string;
  /** Where the mirror's records go (the same place the running mirror reads them from). */
  readonly recordsDir: string;
  readonly node: ShareNode;
  readonly exclude?: readonly string[];
  /** Progress, every `every` files. */
  progress?(filesAdded: number): void;
  readonly every?: number;
}

/** Takes the folder's files into the share; returns how many entries the share then holds. */
export async function importFolder(init: ImportFolderInit): Promise<number> {
  const folder = await NodeFolder.open(init.root);
  const records = await MirrorRecords.open(new NodeRecordJournal(init.recordsDir));
  // In a Git working tree, the share follows the branch it was made on (text-mirror.ts: away).
  const git = await GitCheckout.open(init.root);
  const head = await git?.head().catch(() => undefined);
  if (head?.branch) init.node.replica.setBranch(head.branch, head.commit);
  let added = 0;
  const mirror = new FolderMirror({
    folder,
    records,
    replica: init.node.replica,
    commit: () => init.node.commit(),
    log: (line) => {
      if (!line.startsWith('added ')) return;
      added++;
      if (added % (init.every ?? 500) === 0) init.progress?.(added);
    },
    exclude: () => init.exclude ?? [],
    rescanMs: Number.MAX_SAFE_INTEGER,
    ...(git ? { git } : {}),
  });
  try {
    await mirror.start();
  } finally {
    await mirror.stop();
    git?.close();
    await records.close();
  }
  return init.node.replica.files().length;
}
