/**
 * The text documents of a share, one text CRDT per file id. Applies the text actions
 * of commits: effective ones normally; ineffective ones (rejected by the access
 * rules) only as deleted characters, so later edits that anchor to them still find
 * their ids, while nothing of them is visible. Those deletions use a replica-local
 * pseudo-author (`HIDDEN_AGENT`) that never leaves this replica.
 */
import { compactOps } from '../text/compact-ops.js';
import { findVersionWithText } from '../text/version-search.js';
import { TextDoc, decodeOps, encodeOps, type Hunk, type TextChange, type TextOp, type VersionVector } from '../text/index.js';
import type { FileId } from './manifest.js';

export type { Hunk, TextChange, TextOp, VersionVector };

const HIDDEN_AGENT = '~hidden';

export class ShareDocuments {
  private readonly docs = new Map<FileId, TextDoc>();

  constructor(private readonly agent: string) {}

  get(file: FileId): TextDoc {
    let d = this.docs.get(file);
    if (!d) this.docs.set(file, (d = new TextDoc(this.agent)));
    return d;
  }

  text(file: FileId): string {
    return this.docs.get(file)?.toString() ?? '';
  }

  files(): FileId[] {
    return [...this.docs.keys()];
  }

  /** The version of a file's text: what `textAt` and `editAt` take (empty for a file with no text yet). */
  versionOf(file: FileId): VersionVector {
    return this.docs.get(file)?.version() ?? new Map();
  }

  /** A file's text as it was at `version`, one `versionOf` gave earlier (see TextDoc.textAt). */
  textAt(file: FileId, version: VersionVector): string {
    return (this.docs.get(file) ?? new TextDoc(this.agent)).textAt(version);
  }

  /** The newest earlier version of a file whose text was `text`, if any (see text/version-search.ts). */
  findVersionWithText(file: FileId, text: string): VersionVector | undefined {
    const doc = this.docs.get(file);
    return doc ? findVersionWithText(doc, text) : text === '' ? new Map() : undefined;
  }

  /** Hunks of the text at `version`, made as our own new ops and merged with all since (see TextDoc.editAt). */
  editAt(file: FileId, version: VersionVector, hunks: readonly Hunk[]): TextOp[] {
    return this.get(file).editAt(version, hunks);
  }

  localEdit(file: FileId, offset: number, deleteCount: number, insert: string): TextOp[] {
    const d = this.get(file);
    const ops: TextOp[] = [];
    if (deleteCount > 0) ops.push(...d.delete(offset, deleteCount));
    if (insert.length > 0) ops.push(...d.insert(offset, insert));
    return ops;
  }

  encodeOps(ops: readonly TextOp[]): Uint8Array {
    return encodeOps(compactOps(ops));
  }

  /**
   * Applies an encoded op batch authored by `authorAgent`. Ops that claim another
   * author are forged: the whole batch is ignored. Returns the editor changes.
   */
  applyEncoded(file: FileId, bytes: Uint8Array, authorAgent: string, effective: boolean): TextChange[] {
    let ops: TextOp[];
    try {
      ops = decodeOps(bytes);
    } catch {
      return [];
    }
    if (ops.some((o) => o.agent !== authorAgent)) return [];
    const d = this.get(file);
    try {
      if (effective) return d.applyRemote(ops);
      const inserts = ops.filter((o) => o.kind === 'insert');
      d.applyRemote(inserts);
      let seq = d.version().get(HIDDEN_AGENT) ?? 0;
      const hides: TextOp[] = inserts.map((o) => {
        const del: TextOp = { kind: 'delete', agent: HIDDEN_AGENT, seq, target: { agent: o.agent, seq: o.seq }, length: (o as { text: string }).text.length };
        seq += del.length;
        return del;
      });
      d.applyRemote(hides);
      return [];
    } catch {
      // Ops that do not apply (references to characters that do not exist) have no effect.
      return [];
    }
  }
}
