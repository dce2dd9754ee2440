/**
 * Shows each online teammate's cursor (a thin bar in their colour), selections
 * (translucent background) and name (a small label at their primary cursor) in every
 * visible editor of the file they are in.
 *
 * Rendering rule: teammates' selections are anchors on the share's characters; they
 * are resolved again (presence-ranges.ts) whenever their presence, the share's text
 * (remote changes) or an editor's text (local edits) changes, clamped to the editor's
 * length. A selection naming a character whose commit has not arrived yet keeps its
 * last rendering (VS Code moves decorations with edits meanwhile) until it has.
 * A teammate who leaves, expires or closes the file loses their decorations.
 */
import * as vscode from 'vscode';
import type { PresenceEntry } from '../../protocol/src/index.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ShareSession } from '../session/share-session.js';
import { memberColour, type MemberColour } from './member-colour.js';
import { memberName } from './presence-location.js';
import { resolvePresenceSelections, type AnchorSource, type OffsetSelection } from './presence-ranges.js';
import { sharedFileOf } from './shared-file.js';
import { TrailingThrottle } from './trailing-throttle.js';

/** One teammate as rendered in one editor (the test API reads these: VS Code cannot read decorations back). */
export interface RenderedPresence {
  uri: string;
  path: string;
  member: string;
  name: string;
  colour: string;
  /** Their primary cursor. */
  cursor: { offset: number; line: number; character: number };
  /** Non-empty selections, as offsets [start, end). */
  selections: Array<{ start: number; end: number }>;
}

interface MemberDecorations {
  colour: MemberColour;
  name: string;
  cursor: vscode.TextEditorDecorationType;
  selection: vscode.TextEditorDecorationType;
  /** The name label above the cursor line; below on the first line, where above is clipped. */
  labelAbove: vscode.TextEditorDecorationType;
  labelBelow: vscode.TextEditorDecorationType;
}

const RENDER_DELAY_MS = 15;

function cssString(s: string): string {
  return s.replace(/[^\p{L}\p{N} ._@-]/gu, '');
}

function createDecorations(colour: MemberColour, name: string): MemberDecorations {
  const label = (where: 'above' | 'below') =>
    vscode.window.createTextEditorDecorationType({
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      after: {
        contentText: cssString(name) || '?',
        color: colour.labelText,
        backgroundColor: colour.cursor,
        // Positioned over the text so the line does not reflow when a teammate's cursor moves into it.
        textDecoration: `none; position: absolute; z-index: 3; ${where === 'above' ? 'transform: translateY(-100%);' : 'transform: translateY(100%);'} top: 0; margin-left: -1px; padding: 0 3px; border-radius: 2px; font-size: 0.8em; line-height: 1.3em; white-space: nowrap; pointer-events: none; opacity: 0.9`,
      },
    });
  return {
    colour,
    name,
    cursor: vscode.window.createTextEditorDecorationType({
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      overviewRulerColor: colour.cursor,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      before: {
        contentText: '',
        textDecoration: `none; position: absolute; z-index: 2; top: 0; height: 100%; width: 2px; margin-left: -1px; background-color: ${colour.cursor}; pointer-events: none`,
      },
    }),
    selection: vscode.window.createTextEditorDecorationType({ backgroundColor: colour.selection, borderRadius: '2px' }),
    labelAbove: label('above'),
    labelBelow: label('below'),
  };
}

function disposeDecorations(d: MemberDecorations): void {
  for (const t of [d.cursor, d.selection, d.labelAbove, d.labelBelow]) t.dispose();
}

export class RemoteCursors implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly watched = new Map<ShareSession, () => void>();
  private readonly members = new Map<string, MemberDecorations>();
  /** editor -> member -> what it shows. */
  private shown = new Map<vscode.TextEditor, Map<string, RenderedPresence>>();
  private readonly throttle = new TrailingThrottle(RENDER_DELAY_MS, () => this.render());

  constructor(private readonly registry: SessionRegistry) {
    const soon = () => this.throttle.trigger();
    this.subscriptions.push(
      registry.onDidChange(() => {
        this.watchSessions();
        soon();
      }),
      vscode.window.onDidChangeVisibleTextEditors(soon),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.shown.size) soon();
      }),
    );
    this.watchSessions();
  }

  /** What every visible editor shows now. */
  rendered(): RenderedPresence[] {
    return [...this.shown.values()].flatMap((m) => [...m.values()]);
  }

  private watchSessions(): void {
    const sessions = new Set(this.registry.all());
    for (const [s, unsubscribe] of this.watched) {
      if (sessions.has(s) && s.running) continue;
      unsubscribe();
      this.watched.delete(s);
    }
    for (const s of sessions) {
      if (this.watched.has(s) || !s.running) continue;
      const off = [s.runtime.on('presence', () => this.throttle.trigger()), s.runtime.on('changes', () => this.throttle.trigger())];
      this.watched.set(s, () => off.forEach((u) => u()));
    }
  }

  private decorationsOf(entry: PresenceEntry, name: string): MemberDecorations {
    let d = this.members.get(entry.memberHex);
    if (d && d.name !== name) {
      // Renamed (granted under another name): new label types; editors already drawn this round draw again.
      disposeDecorations(d);
      d = undefined;
      this.throttle.trigger();
    }
    if (!d) {
      d = createDecorations(memberColour(entry.memberHex), name);
      this.members.set(entry.memberHex, d);
    }
    return d;
  }

  private render(): void {
    const online = new Set<string>();
    const next = new Map<vscode.TextEditor, Map<string, RenderedPresence>>();
    for (const editor of vscode.window.visibleTextEditors) {
      const at = sharedFileOf(this.registry, editor.document.uri);
      const here = new Map<string, RenderedPresence>();
      for (const entry of at?.session.runtime.presence() ?? []) {
        if (entry.presence.file !== at!.path) continue;
        const name = memberName(at!.session.replica, entry);
        const deco = this.decorationsOf(entry, name);
        const shown = this.renderOne(editor, at!.path, entry, deco, at!.doc);
        if (shown) here.set(entry.memberHex, shown);
      }
      if (at) next.set(editor, here);
      // Teammates no longer here (they moved, or the share stopped): clear what they showed in this editor.
      for (const member of this.shown.get(editor)?.keys() ?? []) {
        const d = here.has(member) ? undefined : this.members.get(member);
        if (d) for (const t of [d.cursor, d.selection, d.labelAbove, d.labelBelow]) editor.setDecorations(t, []);
      }
    }
    for (const s of this.registry.all()) if (s.running) for (const e of s.runtime.presence()) online.add(e.memberHex);
    // Teammates gone from every share: their decoration types (and so every decoration) go.
    for (const [member, d] of this.members) {
      if (online.has(member)) continue;
      disposeDecorations(d);
      this.members.delete(member);
      for (const m of next.values()) m.delete(member);
    }
    this.shown = next;
  }

  private renderOne(editor: vscode.TextEditor, path: string, entry: PresenceEntry, d: MemberDecorations, source: AnchorSource): RenderedPresence | undefined {
    const doc = editor.document;
    const length = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
    const { selections, missing } = resolvePresenceSelections(source, entry.presence.selections, length);
    const before = this.shown.get(editor)?.get(entry.memberHex);
    if (missing && before) return before; // its commit is on the way: keep what shows (VS Code moves it with edits)
    const primary: OffsetSelection | undefined = selections[0];
    const pos = (o: number) => doc.positionAt(o);
    const cursors = selections.map((s) => new vscode.Range(pos(s.active), pos(s.active)));
    const ranges = selections.filter((s) => s.anchor !== s.active).map((s) => ({ start: Math.min(s.anchor, s.active), end: Math.max(s.anchor, s.active) }));
    editor.setDecorations(d.cursor, cursors);
    editor.setDecorations(d.selection, ranges.map((r) => new vscode.Range(pos(r.start), pos(r.end))));
    const head = primary ? pos(primary.active) : undefined;
    const label = head ? [{ range: new vscode.Range(head, head), hoverMessage: d.name }] : [];
    editor.setDecorations(d.labelAbove, head && head.line > 0 ? label : []);
    editor.setDecorations(d.labelBelow, head && head.line === 0 ? label : []);
    if (!primary || !head) return undefined;
    return {
      uri: doc.uri.toString(),
      path,
      member: entry.memberHex,
      name: d.name,
      colour: d.colour.cursor,
      cursor: { offset: primary.active, line: head.line, character: head.character },
      selections: ranges,
    };
  }

  dispose(): void {
    this.throttle.dispose();
    for (const s of this.subscriptions) s.dispose();
    for (const u of this.watched.values()) u();
    this.watched.clear();
    for (const d of this.members.values()) disposeDecorations(d);
    this.members.clear();
    this.shown.clear();
  }
}
