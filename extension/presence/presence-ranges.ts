/**
 * Presence selections <-> editor offsets. Selections travel as anchors on the share's
 * characters (protocol/src/multicast/presence.ts), not as offsets, so a teammate's
 * cursor follows the text by itself: every edit, local or remote, that lands before
 * their cursor moves it, with no bookkeeping here. The rule is to resolve the anchors
 * again against the current text whenever the text or their presence changes, and to
 * clamp to the editor's length (the editor may lag a remote change behind the share),
 * so a rendered cursor never points past the end of the document.
 *
 * Free of `vscode` (unit-tested in plain mocha).
 */
import { type Anchor, MAX_SELECTIONS, type PresenceSelection, MissingDependencyError } from '../../protocol/src/index.js';

/** What a share document offers (TextDoc does). */
export interface AnchorSource {
  readonly length: number;
  anchorAt(offset: number, bias: 'before' | 'after'): Anchor;
  offsetOf(anchor: Anchor): number;
}

/** A selection in UTF-16 offsets: `active` is where the cursor is. */
export interface OffsetSelection {
  anchor: number;
  active: number;
}

/** `offset` as an integer within 0..length (NaN counts as 0). */
export function clampOffset(offset: number, length: number): number {
  if (!(offset > 0)) return 0;
  return Math.min(Math.floor(offset), Math.max(0, length));
}

/**
 * Our selections (offsets in the editor, primary first) as anchors on the share's text.
 * Each end is glued to the character before it ('before'), so text a teammate inserts
 * exactly at our cursor lands after it, as it would if we had typed it.
 */
export function toPresenceSelections(doc: AnchorSource, selections: readonly OffsetSelection[]): PresenceSelection[] {
  const n = doc.length;
  return selections.slice(0, MAX_SELECTIONS).map((s) => ({
    anchor: doc.anchorAt(clampOffset(s.anchor, n), 'before'),
    head: doc.anchorAt(clampOffset(s.active, n), 'before'),
  }));
}

export interface ResolvedSelections {
  selections: OffsetSelection[];
  /** Some selection names a character this replica does not hold yet (its commit is on the way). */
  missing: boolean;
}

/** A teammate's selections as offsets in `doc` now, clamped to `length` (the editor's text length). */
export function resolvePresenceSelections(doc: AnchorSource, selections: readonly PresenceSelection[], length: number): ResolvedSelections {
  const out: OffsetSelection[] = [];
  let missing = false;
  for (const s of selections) {
    try {
      out.push({ anchor: clampOffset(doc.offsetOf(s.anchor), length), active: clampOffset(doc.offsetOf(s.head), length) });
    } catch (err) {
      if (!(err instanceof MissingDependencyError)) throw err;
      missing = true;
    }
  }
  return { selections: out, missing };
}

/** 0-based line of `offset` in `text`, counting "\r\n", "\n" and a lone "\r" as one line end each (as VS Code does). */
export function lineOfOffset(text: string, offset: number): number {
  const end = clampOffset(offset, text.length);
  let line = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++;
  }
  return line;
}
