/**
 * `weft peer`'s folder mirror: the shared FolderMirror (protocol/mirror/) over the real
 * folder, its records in `.weft/mirror/`, binary files streamed from and to disk by
 * NodeObjectFiles through the peer runtime's chunk store, the folder watched with
 * fs.watch (recursive) and rescanned every 2 s as a fallback, and the share's changes
 * (remote commits) routed to targeted passes.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { BinaryMirror, FolderMirror, GitCheckout, MirrorRecords, NodeFolder, TEMP_MARK, NodeRecordJournal } from '../protocol/mirror/index.js';
import { NodeObjectFiles } from '../protocol/storage/index.js';
import type { PeerRuntime } from '../protocol/runtime/index.js';
import { pathProblem } from '../protocol/src/index.js';

export interface PeerMirror {
  readonly mirror: FolderMirror;
  stop(): Promise<void>;
}

/** The folder's mirror's records live here, beside the share's log. */
export function mirrorStateDir(stateDir: string): string {
  return join(stateDir, 'mirror');
}

/**
 * Test hook for process tests of a crash between merge and write-out:
 * WEFT_TEST_CRASH_BEFORE_WRITE=path kills this process (SIGKILL) right before the mirror
 * writes the share's text (or a binary file's version) to that path.
 */
function crashHook(): { beforeWrite?(path: string): void } {
  const at = process.env.WEFT_TEST_CRASH_BEFORE_WRITE;
  if (!at) return {};
  return {
    beforeWrite: (path) => {
      if (path === at) process.kill(process.pid, 'SIGKILL');
    },
  };
}

export async function startPeerMirror(dir: string, stateDir: string, runtime: PeerRuntime, log: (line: string) => void): Promise<PeerMirror> {
  const folder = await NodeFolder.open(dir);
  const records = await MirrorRecords.open(new NodeRecordJournal(mirrorStateDir(stateDir)));
  let mirror: FolderMirror | undefined;
  const binary = new BinaryMirror({
    folder,
    files: new NodeObjectFiles(),
    runtime,
    log,
    records,
    ...crashHook(),
    reschedule: () => mirror?.diskChanged(),
    canWrite: () => {
      const role = runtime.node.replica.myRole();
      return role !== undefined && role !== 'reader';
    },
  });
  const git = await GitCheckout.open(dir);
  mirror = new FolderMirror({ folder, records, replica: runtime.node.replica, commit: () => runtime.commit(), log, binary, caughtUp: () => runtime.caughtUp(), ...(git ? { git } : {}), ...crashHook() });
  const current = mirror;
  const unsubscribe = runtime.on('changes', (changes) => current.replicaChanged(changes));
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { recursive: true }, (_event, name) => {
      const path = name ? String(name).split(/[\\/]/).join('/') : undefined;
      if (path !== undefined && (path.includes(TEMP_MARK) || pathProblem(path) === 'protected')) return;
      current.diskChanged(path);
    });
  } catch {
    log('file watching unavailable: the folder is rescanned every 2 seconds');
  }
  // The first pass compares the folder with the stored share (edits made while stopped)
  // before anything arrives from the network.
  await current.start();
  return {
    mirror: current,
    stop: async () => {
      watcher?.close();
      unsubscribe();
      await current.stop();
      git?.close();
      await records.close();
    },
  };
}

