/**
 * Which share each workspace folder is bound to, remembered in the workspace's state
 * so reopening VS Code resumes it; and joins waiting for a window reload (the user
 * picked another, empty folder), remembered globally by folder.
 */
import type * as vscode from 'vscode';
import type { PeerAddress } from '../../protocol/runtime/index.js';

export interface BoundShare {
  shareId: string;
  name: string;
  /** Topics (hex), newest first: what a joiner subscribes to before it holds keys. */
  topics: string[];
  /** Brokers and peers from the invitation. */
  addresses: PeerAddress[];
  /** True for a share this folder joined (files come from the share, not the disk). */
  joined: boolean;
}

const KEY = 'weft.boundShares';
const PENDING_JOINS = 'weft.pendingJoins';

export class BoundShares {
  constructor(
    private readonly workspaceState: vscode.Memento,
    private readonly globalState: vscode.Memento,
  ) {}

  get(folder: vscode.Uri): BoundShare | undefined {
    return this.all()[folder.toString()];
  }

  async set(folder: vscode.Uri, share: BoundShare | undefined): Promise<void> {
    const all = this.all();
    if (share) all[folder.toString()] = share;
    else delete all[folder.toString()];
    await this.workspaceState.update(KEY, all);
  }

  /** A join to finish when `folder` is opened. */
  async setPendingJoin(folder: vscode.Uri, invitation: string | undefined): Promise<void> {
    const all = { ...(this.globalState.get<Record<string, string>>(PENDING_JOINS) ?? {}) };
    if (invitation) all[folder.toString()] = invitation;
    else delete all[folder.toString()];
    await this.globalState.update(PENDING_JOINS, all);
  }

  pendingJoin(folder: vscode.Uri): string | undefined {
    return this.globalState.get<Record<string, string>>(PENDING_JOINS)?.[folder.toString()];
  }

  private all(): Record<string, BoundShare> {
    return { ...(this.workspaceState.get<Record<string, BoundShare>>(KEY) ?? {}) };
  }
}
