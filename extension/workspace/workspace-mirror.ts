/**
 * A shared workspace folder's files and the share, in VS Code: the same FolderMirror as
 * `weft peer` (protocol/mirror/), over the folder on disk, with its records in the
 * share's storage folder, VS Code's file watcher for disk events, the binary mirror's
 * progress shown by BinaryProgress, and the editor binding's open documents left to it
 * (`owned`): their edits reach the share as they are typed, and what the editor saves
 * is not taken in again.
 */
import * as vscode from 'vscode';
import type { ReplicaChange } from '../../protocol/src/index.js';
import type { PeerRuntime } from '../../protocol/runtime/index.js';
import { BinaryMirror, FolderMirror, GitCheckout, MirrorRecords, NodeFolder, TEMP_MARK, NodeRecordJournal } from '../../protocol/mirror/index.js';
import { NodeObjectFiles } from '../../protocol/storage/index.js';
import { BinaryProgress } from './binary-progress.js';
import { revertPrompt } from './revert-prompt.js';
import { sharePathOf } from './paths.js';

export interface WorkspaceMirrorInit {
  readonly folder: vscode.Uri;
  /** This share's folder in global storage (the mirror's records go in `mirror/`). */
  readonly storageDir: vscode.Uri;
  readonly runtime: PeerRuntime;
  /** The member's exclude globs (weft.exclude). */
  readonly exclude: readonly string[];
  /** Does an editor binding own this path (an open document of the share)? */
  owned(path: string): boolean;
  /** Stores and publishes what is staged. */
  commit(): Promise<unknown>;
  log(line: string): void;
  /** The checkout went away from the share's branch, or came back. */
  awayChanged(branch: string | undefined): void;
}

export class WorkspaceMirror implements vscode.Disposable {
  readonly progress: BinaryProgress;
  private readonly subscriptions: vscode.Disposable[] = [];

  private constructor(
    readonly mirror: FolderMirror,
    private readonly records: MirrorRecords,
    progress: BinaryProgress,
    private readonly folder: vscode.Uri,
    private readonly git: GitCheckout | undefined,
  ) {
    this.progress = progress;
  }

  static async open(init: WorkspaceMirrorInit): Promise<WorkspaceMirror> {
    if (init.folder.scheme !== 'file') throw new Error(`Weft shares folders on this computer's disk only: ${init.folder.toString()} is not one`);
    const folder = await NodeFolder.open(init.folder.fsPath);
    const records = await MirrorRecords.open(new NodeRecordJournal(vscode.Uri.joinPath(init.storageDir, 'mirror').fsPath));
    const progress = new BinaryProgress((l) => init.log(l));
    let mirror: FolderMirror | undefined;
    const replica = init.runtime.node.replica;
    const binary = new BinaryMirror({
      folder,
      files: new NodeObjectFiles(),
      runtime: init.runtime,
      log: (l) => init.log(l),
      records,
      reschedule: () => mirror?.diskChanged(),
      canWrite: () => replica.myRole() !== undefined && replica.myRole() !== 'reader',
      observe: (e) => progress.observe(e),
      fetchTimeoutMs: 30_000,
    });
    const git = await GitCheckout.open(init.folder.fsPath);
    mirror = new FolderMirror({
      folder,
      records,
      replica,
      ...(git ? { git } : {}),
      commit: () => init.commit(),
      log: (l) => init.log(l),
      binary,
      exclude: () => init.exclude,
      owned: (path) => init.owned(path),
      confirmRevert: (path, removed) => revertPrompt.ask(path, removed),
      awayChanged: (branch) => init.awayChanged(branch),
      notice: (text) => void vscode.window.showWarningMessage(`Weft: ${text}`),
      caughtUp: () => init.runtime.caughtUp(),
      rescanMs: 3000,
    });
    return new WorkspaceMirror(mirror, records, progress, init.folder, git);
  }

  /** The first pass (edits made while VS Code was closed merge first), then the watcher. */
  async start(): Promise<void> {
    await this.mirror.start();
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(this.folder, '**/*'));
    const changed = (uri: vscode.Uri): void => {
      const path = sharePathOf(this.folder, uri);
      if (path !== undefined && !path.includes(TEMP_MARK)) this.mirror.diskChanged(path);
    };
    this.subscriptions.push(w, w.onDidCreate(changed), w.onDidChange(changed), w.onDidDelete(changed));
  }

  /** Remote changes of files no editor shows, of paths, of binaries, members or keys. */
  shareChanged(changes: readonly ReplicaChange[]): void {
    this.mirror.replicaChanged(changes);
  }

  /** Resolves once no pass is running or queued. */
  settled(): Promise<void> {
    return this.mirror.settled();
  }

  async stop(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions.length = 0;
    await this.mirror.stop();
    this.git?.close();
    await this.records.close();
    this.progress.dispose();
  }

  dispose(): void {
    void this.stop();
  }
}
