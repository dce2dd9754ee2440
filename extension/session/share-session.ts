/**
 * A share bound to one workspace folder: its durable node (FileLogStore under the
 * extension's global storage, binary files' chunks in a PackChunkStore beside it), the
 * libp2p transport, the peer runtime, and the bindings (open documents, text files on
 * disk, binary files). start() / stop(); dispose() stops.
 */
import { userInfo } from 'node:os';
import * as vscode from 'vscode';
import { fromHex, ShareNode, type SigningKeyPair, invitationToText } from '../../protocol/src/index.js';
import { PeerRuntime, type PeerStatus, type RefusedCommit } from '../../protocol/runtime/index.js';
import { PackChunkStore, FileLogStore } from '../../protocol/storage/index.js';
import { createTransport, stunServersOf, type Transport } from '../../protocol/transport/index.js';
import { EditorBinding } from '../binding/editor-binding.js';
import type { WeftSettings } from '../config.js';
import type { BinaryProgress } from '../workspace/binary-progress.js';
import { sharePathOf } from '../workspace/paths.js';
import { WorkspaceMirror } from '../workspace/workspace-mirror.js';
import type { BoundShare } from './bound-shares.js';
import { routeChanges } from './change-router.js';
import { rememberListen, stableListen } from './listen-ports.js';
import { CommitScheduler } from './commit-scheduler.js';
import { systemClock, systemRandom } from '../../protocol/platform/index.js';

export interface ShareSessionInit {
  folder: vscode.Uri;
  bound: BoundShare;
  me: SigningKeyPair;
  /** This share's folder in global storage (holds log/ and chunks/). */
  storageDir: vscode.Uri;
  settings: WeftSettings;
  log: vscode.LogOutputChannel;
  /** A reader edited a document (its edit is being reverted). */
  refused(doc: vscode.TextDocument): void;
}

/**
 * The runtime's 'status' and 'presence' events come with every commit, merge and cursor
 * move: many a second while someone types. Each onDidChange sends messages to the window
 * (status bar, context keys, panel) that it handles between keystrokes. What shows at
 * once (connections, sync, joining, who is online in which file) fires now; commit counts
 * and cursor moves fire at most this often.
 */
const CHANGE_COALESCE_MS = 250;
const REFUSALS_KEPT = 20;

export class ShareSession implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Status, members or presence changed (commit counts and cursor moves: within CHANGE_COALESCE_MS). */
  readonly onDidChange = this.changed.event;
  private changeTimer: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private lastPresence = '';
  readonly commits: CommitScheduler;
  /** Teammates' commits this replica refused, oldest first (the latest REFUSALS_KEPT), for the panel. */
  readonly refusals: Array<RefusedCommit & { at: number }> = [];
  private editors: EditorBinding | undefined;
  private files: WorkspaceMirror | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private state: 'new' | 'running' | 'stopped' = 'new';

  private constructor(
    private readonly init: ShareSessionInit,
    readonly node: ShareNode,
    readonly transport: Transport,
    readonly runtime: PeerRuntime,
    private readonly chunks: PackChunkStore,
  ) {
    this.commits = new CommitScheduler(
      () => this.runtime.commit().then(() => this.editors?.bindAll()),
      (err) => init.log.error(`commit failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  static async open(init: ShareSessionInit): Promise<ShareSession> {
    await vscode.workspace.fs.createDirectory(init.storageDir);
    const store = new FileLogStore(vscode.Uri.joinPath(init.storageDir, 'log').fsPath);
    const { node, recovered } = await ShareNode.open({ store, shareId: fromHex(init.bound.shareId), me: init.me });
    if (recovered) init.log.warn(`recovered the share's log: ${recovered}`);
    const chunks = await PackChunkStore.open(vscode.Uri.joinPath(init.storageDir, 'chunks').fsPath);
    const listen = await stableListen(init.storageDir.fsPath, init.settings.listen);
    const brokers = [...init.bound.addresses.filter((a) => a.role === 'broker').map((a) => a.addr), ...init.settings.brokers];
    const transport = createTransport({
      identitySeed: init.me.secretKey,
      listen,
      mdns: init.settings.lan,
      // Teammates behind NATs: WebRTC through the brokers' relays, the brokers answering STUN.
      // Without the native module (the universal package) the transport says so and stays relayed.
      ...(init.settings.webrtc ? { webrtc: { stunServers: stunServersOf(brokers) } } : {}),
      log: (line) => init.log.info(line),
    });
    const runtime = new PeerRuntime({
      clock: systemClock,
      random: systemRandom,
      trace: process.env.WEFT_TRACE === '1',
      node,
      transport,
      addresses: [...init.bound.addresses, ...init.settings.brokers.map((addr) => ({ role: 'broker' as const, addr }))],
      mdns: init.settings.lan,
      name: init.settings.displayName || userInfo().username,
      invitationTopics: init.bound.topics.map(fromHex),
      chunks,
    });
    return new ShareSession(init, node, transport, runtime, chunks);
  }

  get folder(): vscode.Uri {
    return this.init.folder;
  }
  get bound(): BoundShare {
    return this.init.bound;
  }
  get replica() {
    return this.node.replica;
  }
  get running(): boolean {
    return this.state === 'running';
  }
  /** What the member sees of binary files arriving (progress reports), once started. */
  get binaries(): BinaryProgress | undefined {
    return this.files?.progress;
  }
  status(): PeerStatus {
    return this.runtime.status();
  }

  /** The Git branch the share follows, and the one this checkout is on while away from it. */
  branch(): { follows: string; away: string | undefined } | undefined {
    const b = this.replica.branch();
    return b && { follows: b.name, away: this.files?.mirror.away };
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'running';
    const log = this.init.log;
    const replica = this.replica;
    const canWrite = () => replica.myRole() !== undefined && replica.myRole() !== 'reader';
    const pathOf = (d: vscode.TextDocument) => sharePathOf(this.init.folder, d.uri);
    let editors: EditorBinding | undefined;
    // Open documents are the editor binding's. Before it binds them (while starting), only
    // documents with unsaved edits count: the others show the disk, so edits made while
    // VS Code was closed are merged from the disk first, then the documents follow.
    const owned = (path: string): boolean =>
      editors ? editors.bindingOfPath(path) !== undefined : vscode.workspace.textDocuments.some((d) => !d.isClosed && d.isDirty && pathOf(d) === path);
    const files = await WorkspaceMirror.open({
      folder: this.init.folder,
      storageDir: this.init.storageDir,
      runtime: this.runtime,
      exclude: this.init.settings.exclude,
      owned,
      commit: () => this.commits.flush(),
      log: (l) => log.info(l),
      awayChanged: () => this.changedNow(),
    });
    this.files = files;
    await files.start();
    editors = new EditorBinding({
      folder: this.init.folder,
      replica,
      canWrite,
      edited: () => this.commits.noteEdit(),
      refused: (doc) => this.init.refused(doc),
      log: (l) => log.info(l),
    });
    this.editors = editors;
    const bound = editors;
    this.unsubscribe.push(
      this.runtime.on('changes', (changes) => {
        routeChanges(changes, bound, files, () => this.changed.fire());
        bound.bindAll();
      }),
      this.runtime.on('status', (st) => {
        const key = `${st.brokers}/${st.peers}/${st.syncing}/${st.joined}`;
        if (key === this.lastStatus) return this.changedSoon();
        this.lastStatus = key;
        this.changedNow();
      }),
      this.runtime.on('presence', (list) => {
        const key = list
          .map((p) => `${p.memberHex} ${p.presence.name} ${p.presence.file}`)
          .sort()
          .join('\n');
        if (key === this.lastPresence) return this.changedSoon();
        this.lastPresence = key;
        this.changedNow();
      }),
      this.runtime.on('log', (l) => log.info(l)),
      this.runtime.on('refused', (r) => {
        this.refusals.push({ ...r, at: Date.now() });
        if (this.refusals.length > REFUSALS_KEPT) this.refusals.shift();
        log.warn(`refused ${r.authorName}'s commit: ${r.detail}`);
        this.changedNow();
      }),
    );
    const closed = vscode.workspace.onDidCloseTextDocument((d) => {
      const path = pathOf(d);
      if (path !== undefined && replica.fileAt(path)) files.mirror.editorClosed(path);
    });
    const saved = vscode.workspace.onDidSaveTextDocument((d) => {
      const path = pathOf(d);
      if (path !== undefined && replica.fileAt(path)) void files.mirror.editorSaved(path, d.getText());
    });
    this.unsubscribe.push(
      () => closed.dispose(),
      () => saved.dispose(),
    );
    await this.transport.start();
    for (const a of this.transport.addresses()) log.info(`listening on ${a}`);
    await rememberListen(this.init.storageDir.fsPath, this.init.settings.listen, this.transport.addresses());
    this.runtime.start();
    this.changed.fire();
  }

  private changedNow(): void {
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    this.changed.fire();
  }

  private changedSoon(): void {
    this.changeTimer ??= setTimeout(() => {
      this.changeTimer = undefined;
      if (this.state !== 'stopped') this.changed.fire();
    }, CHANGE_COALESCE_MS);
  }

  /** Is `doc` an open file of this share (bound to its document)? */
  binds(doc: vscode.TextDocument): boolean {
    return this.editors?.bindingOfDocument(doc) !== undefined;
  }

  /** Undoes (or redoes) one's own latest edit in `doc`; undefined if `doc` is not a file of this share. */
  undo(doc: vscode.TextDocument, redo = false): boolean | undefined {
    const b = this.editors?.bindingOfDocument(doc);
    return b ? (redo ? b.redo() : b.undo()) : undefined;
  }

  /** The invitation text: share id, name, topics, brokers, and our own addresses. */
  invitation(): string {
    const replica = this.replica;
    const topics = replica.topicsNewestFirst();
    const brokers = [...new Set([...this.init.settings.brokers, ...this.init.bound.addresses.filter((a) => a.role === 'broker').map((a) => a.addr)])];
    const own = this.transport.addresses();
    return invitationToText({
      shareId: fromHex(this.init.bound.shareId),
      name: replica.name || this.init.bound.name,
      topics: topics.length ? topics : this.init.bound.topics.map(fromHex),
      addresses: [...brokers.map((addr) => ({ role: 'broker' as const, addr })), ...own.map((addr) => ({ role: 'peer' as const, addr }))].slice(0, 32),
    });
  }

  /** Resolves once local edits are committed and remote changes reached documents and disk. */
  async settled(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await this.editors?.whenIdle();
      await this.commits.flush();
      await this.files?.settled();
      if ((this.editors === undefined || this.commits.idle) && this.replica.stagedCount === 0) return;
    }
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    await this.commits.dispose();
    this.editors?.dispose();
    await this.files?.stop();
    for (const u of this.unsubscribe) u();
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    if (wasRunning) {
      await this.runtime.stop().catch(() => undefined);
      await this.transport.stop().catch(() => undefined);
    }
    await this.chunks.close().catch(() => undefined);
    await this.node.close().catch(() => undefined);
    this.changed.fire();
    this.changed.dispose();
  }

  dispose(): void {
    void this.stop();
  }
}
