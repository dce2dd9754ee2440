/**
 * Creates, joins and resumes shares for workspace folders: what the commands and
 * activation call. Knows where logs live (global storage: shares/<share id>/log) and
 * which share each folder is bound to (BoundShares).
 */
import * as vscode from 'vscode';
import { ShareNode, toHex, invitationFromText } from '../../protocol/src/index.js';
import { FileLogStore } from '../../protocol/storage/index.js';
import { readSettings } from '../config.js';
import type { Identity } from '../identity.js';
import { importFolder } from '../../protocol/mirror/index.js';
import type { BoundShare, BoundShares } from './bound-shares.js';
import type { SessionRegistry } from './session-registry.js';
import { ShareSession } from './share-session.js';

export interface SessionLauncherInit {
  identity: Identity;
  bound: BoundShares;
  registry: SessionRegistry;
  globalStorage: vscode.Uri;
  log: vscode.LogOutputChannel;
  refused(doc: vscode.TextDocument): void;
}

export class SessionLauncher {
  constructor(private readonly init: SessionLauncherInit) {}

  private sharesDir(): vscode.Uri {
    return vscode.Uri.joinPath(this.init.globalStorage, 'shares');
  }

  /** Creates a share of the folder's files (honouring .gitignore and weft.exclude) and starts it. */
  async share(folder: vscode.Uri): Promise<ShareSession> {
    if (this.init.registry.get(folder)) throw new Error('this folder is already shared');
    const me = await this.init.identity.keyPair();
    const settings = readSettings(folder);
    const name = folder.path.split('/').filter(Boolean).pop() ?? 'share';
    const tmp = vscode.Uri.joinPath(this.sharesDir(), `new-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
    await vscode.workspace.fs.createDirectory(tmp);
    const { node, shareKey } = await ShareNode.create(new FileLogStore(vscode.Uri.joinPath(tmp, 'log').fsPath), name, me);
    let bound: BoundShare;
    try {
      // Through the mirror's first pass: commits under the limit, and its records for the session.
      const files = await importFolder({
        root: folder.fsPath,
        recordsDir: vscode.Uri.joinPath(tmp, 'mirror').fsPath,
        node,
        exclude: settings.exclude,
        progress: (n) => this.init.log.info(`${n} files added so far`),
      });
      this.init.log.info(`created share "${name}" with ${files} files`);
      bound = { shareId: toHex(shareKey.publicKey), name, topics: node.replica.topicsNewestFirst().map(toHex), addresses: [], joined: false };
    } finally {
      await node.close();
    }
    await vscode.workspace.fs.rename(tmp, vscode.Uri.joinPath(this.sharesDir(), bound.shareId), { overwrite: true });
    await this.init.bound.set(folder, bound);
    return this.start(folder, bound);
  }

  /** Binds the (empty) folder to the invitation's share and starts it; files arrive with the keys. */
  async join(folder: vscode.Uri, invitationText: string): Promise<ShareSession> {
    if (this.init.registry.get(folder)) throw new Error('this folder is already shared; stop sharing it first');
    const inv = invitationFromText(invitationText);
    const bound: BoundShare = { shareId: toHex(inv.shareId), name: inv.name, topics: inv.topics.map(toHex), addresses: inv.addresses, joined: true };
    await this.init.bound.set(folder, bound);
    await this.init.bound.setPendingJoin(folder, undefined);
    return this.start(folder, bound);
  }

  /** Resumes the share this folder was bound to, or finishes a join that waited for this folder. */
  async resume(folder: vscode.Uri): Promise<ShareSession | undefined> {
    if (this.init.registry.get(folder)) return this.init.registry.get(folder);
    const pending = this.init.bound.pendingJoin(folder);
    if (pending) return this.join(folder, pending);
    const bound = this.init.bound.get(folder);
    return bound ? this.start(folder, bound) : undefined;
  }

  /** Stops the session and forgets the binding (the log stays in global storage). */
  async stop(folder: vscode.Uri): Promise<void> {
    await this.init.registry.remove(folder);
    await this.init.bound.set(folder, undefined);
  }

  private async start(folder: vscode.Uri, bound: BoundShare): Promise<ShareSession> {
    const settings = readSettings(folder);
    const session = await ShareSession.open({
      folder,
      bound,
      me: await this.init.identity.keyPair(),
      storageDir: vscode.Uri.joinPath(this.sharesDir(), bound.shareId),
      settings,
      log: this.init.log,
      refused: (doc) => this.init.refused(doc),
    });
    this.init.registry.add(session);
    try {
      await session.start();
    } catch (err) {
      await this.init.registry.remove(folder);
      throw err;
    }
    return session;
  }
}
