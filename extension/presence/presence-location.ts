/**
 * Where a teammate is: the share file of their presence and the line of their cursor,
 * resolved against this replica's text. Free of `vscode` (the panel model and the
 * follow mode use it; unit-tested in plain mocha).
 */
import { fingerprint, fromHex, type FileId, type ShareReplica, type Presence, type PresenceEntry } from '../../protocol/src/index.js';
import { lineOfOffset, resolvePresenceSelections, type AnchorSource, type OffsetSelection } from './presence-ranges.js';

export type ReplicaView = Pick<ShareReplica, 'fileAt' | 'files' | 'document' | 'text'>;

/** The CRDT document of a text file of the share (undefined for folders, binaries and unknown paths). */
export function textDocumentAt(replica: ReplicaView, path: string): { file: FileId; doc: AnchorSource } | undefined {
  const file = replica.fileAt(path);
  if (!file || replica.files().find((e) => e.file === file)?.kind !== 'text') return undefined;
  return { file, doc: replica.document(file) };
}

export interface PresenceLocation {
  path: string;
  /** 0-based line of their (primary) cursor; 0 when unknown. */
  line: number;
  /** Offset of their cursor in the share's text, when known. */
  offset?: number;
}

export function presenceLocation(replica: ReplicaView, p: Pick<Presence, 'file' | 'selections'>): PresenceLocation | undefined {
  if (!p.file) return undefined;
  const at = textDocumentAt(replica, p.file);
  if (!at || p.selections.length === 0) return { path: p.file, line: 0 };
  const text = replica.text(at.file);
  const primary: OffsetSelection | undefined = resolvePresenceSelections(at.doc, p.selections.slice(0, 1), text.length).selections[0];
  return primary ? { path: p.file, line: lineOfOffset(text, primary.active), offset: primary.active } : { path: p.file, line: 0 };
}

/**
 * The name on a teammate's cursor: the display name they announce in their signed
 * presence (what they call themselves, "Alice"), else the name they were granted under
 * (the owner of a share has none but 'owner'), else their key's fingerprint.
 */
export function memberName(replica: Pick<ShareReplica, 'members'>, entry: Pick<PresenceEntry, 'memberHex'> & { presence: Pick<Presence, 'name'> }): string {
  return entry.presence.name.trim() || replica.members().get(entry.memberHex)?.name || fingerprint(fromHex(entry.memberHex));
}
