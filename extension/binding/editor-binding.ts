/**
 * Binds every open text document of a shared folder to its CRDT document, and routes
 * local change events and remote text changes to the right DocumentBinding.
 */
import * as vscode from 'vscode';
import type { FileId, ShareReplica, TextChange } from '../../protocol/src/index.js';
import { sharePathOf } from '../workspace/paths.js';
import { DocumentBinding, type DocumentBindingHost } from './document-binding.js';

export interface EditorBindingInit {
  folder: vscode.Uri;
  replica: ShareReplica;
  canWrite(): boolean;
  edited(): void;
  refused(doc: vscode.TextDocument): void;
  log(line: string): void;
}

const SAVE_DELAY_MS = 300;

export class EditorBinding implements vscode.Disposable {
  private readonly byUri = new Map<string, DocumentBinding>();
  private readonly saveTimers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly host: DocumentBindingHost;

  constructor(private readonly init: EditorBindingInit) {
    this.host = {
      replica: init.replica,
      canWrite: () => init.canWrite(),
      edited: () => init.edited(),
      refused: (doc) => init.refused(doc),
      cleanAfterRemote: (doc) => this.saveSoon(doc),
      log: (line) => init.log(line),
    };
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.bind(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.unbind(d)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const b = this.byUri.get(e.document.uri.toString()) ?? this.bind(e.document);
        b?.changed(e);
        if (e.contentChanges.length) this.cancelSave(e.document);
      }),
    );
    this.bindAll();
  }

  /** Binds every open document of the folder that the share knows (again after manifest changes). */
  bindAll(): void {
    for (const d of vscode.workspace.textDocuments) this.bind(d);
  }

  /** The binding of an open document of `file`, if any. */
  bindingOf(file: FileId): DocumentBinding | undefined {
    for (const b of this.byUri.values()) if (b.file === file) return b;
    return undefined;
  }

  /** The binding of the open document at a share path, if any. */
  bindingOfPath(path: string): DocumentBinding | undefined {
    const file = this.init.replica.fileAt(path);
    return file === undefined ? undefined : this.bindingOf(file);
  }

  /** The binding of an open document, if it is a shared file. */
  bindingOfDocument(doc: vscode.TextDocument): DocumentBinding | undefined {
    return this.byUri.get(doc.uri.toString());
  }

  /** Remote changes: to the open document if there is one. Returns false if the file is not open. */
  remoteText(file: FileId, changes: readonly TextChange[]): boolean {
    const b = this.bindingOf(file);
    if (!b) return false;
    b.remote(changes);
    return true;
  }

  /** After a reset (access change voided commits): every document takes the replica's text. */
  reloadAll(): void {
    for (const b of this.byUri.values()) b.reconcile(true);
  }

  async whenIdle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const all = [...this.byUri.values()];
      await Promise.all(all.map((b) => b.whenIdle()));
      if ([...this.byUri.values()].every((b) => b.idle)) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private bind(doc: vscode.TextDocument): DocumentBinding | undefined {
    const key = doc.uri.toString();
    const existing = this.byUri.get(key);
    if (existing) {
      if (this.init.replica.pathOf(existing.file) === sharePathOf(this.init.folder, doc.uri)) return existing;
      this.unbind(doc); // the file moved away from this URI
    }
    const path = sharePathOf(this.init.folder, doc.uri);
    if (path === undefined || doc.isClosed) return undefined;
    const file = this.init.replica.fileAt(path);
    if (!file || this.init.replica.files().find((e) => e.file === file)?.kind !== 'text') return undefined;
    if (this.bindingOf(file)) return undefined; // already bound through another URI
    const b = new DocumentBinding(doc, file, this.host);
    this.byUri.set(key, b);
    return b;
  }

  private unbind(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    this.byUri.get(key)?.dispose();
    this.byUri.delete(key);
    this.cancelSave(doc);
  }

  /** Saves a document that only remote changes made dirty, so the disk follows the share. */
  private saveSoon(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    this.cancelSave(doc);
    this.saveTimers.set(
      key,
      setTimeout(() => {
        this.saveTimers.delete(key);
        if (!doc.isClosed && doc.isDirty) void doc.save();
      }, SAVE_DELAY_MS),
    );
  }

  private cancelSave(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const t = this.saveTimers.get(key);
    if (t) clearTimeout(t);
    this.saveTimers.delete(key);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    for (const b of this.byUri.values()) b.dispose();
    for (const t of this.saveTimers.values()) clearTimeout(t);
    this.byUri.clear();
  }
}
