/**
 * Simulated people acting on their folders as people do: through the folder (as an
 * editor saving a file, a file manager copying or moving files), then the watcher tells
 * the member's mirror (SimMember.diskChanged). A person acts whether or not the mirror
 * runs: what they do while it is down is found by its first pass after the restart.
 *
 * Every line a person types is a unique token (`@u2.17@`), registered in a TokenLedger
 * with the name of the file it went into, so the checks can count each line in the
 * folders at the end. What a person removes (a line, a whole file, text their save
 * replaced) may vanish; everything else must be there exactly once.
 */
import { pathProblem } from '../src/share/paths.js';
import type { MemoryFolder } from '../mirror/memory-folder.js';
import type { SimMember } from './sim-member.js';
import type { Simulation } from './simulation.js';

export const TOKEN = /@u\d+\.\d+@/g;

export interface TypedToken {
  readonly token: string;
  readonly author: string;
  /** The file's name when it was typed (conflict tag removed). */
  readonly name: string;
  readonly at: number;
  /** A person removed it (or a file that held it): it may be gone, but never twice. */
  mayVanish: boolean;
}

/** `notes (conflict 1a2b3c4d).md` -> `notes.md`: the name a conflict copy stands beside. */
export function withoutConflictTag(path: string): string {
  return path.replace(/ \(conflict [^)/]*\)(?=[^/]*$)/g, '');
}

export function tokensIn(text: string | undefined): string[] {
  return text === undefined ? [] : [...text.matchAll(TOKEN)].map((m) => m[0]);
}

export class TokenLedger {
  readonly tokens = new Map<string, TypedToken>();
  /** Names joined by people's renames (union-find): a line typed in one may end in any. */
  private readonly parent = new Map<string, string>();
  private typed = 0;

  mint(author: SimMember, authorIndex: number, path: string, at: number): string {
    const token = `@u${authorIndex}.${this.typed++}@`;
    this.tokens.set(token, { token, author: author.name, name: withoutConflictTag(path), at, mayVanish: false });
    return token;
  }

  /** The group of names a file called `path` may have had. */
  group(path: string): string {
    let name = withoutConflictTag(path);
    for (let up = this.parent.get(name); up !== undefined && up !== name; up = this.parent.get(name)) name = up;
    return name;
  }

  renamed(from: string, to: string): void {
    const a = this.group(from);
    const b = this.group(to);
    if (a !== b) this.parent.set(b, a);
  }

  /** A person's save removed these tokens. */
  removed(tokens: Iterable<string>): void {
    for (const t of tokens) {
      const typed = this.tokens.get(t);
      if (typed) typed.mayVanish = true;
    }
  }

  /**
   * A person deleted the file at `path`. Its lines typed so far may vanish: those on this
   * person's disk, and those a teammate typed that this member's share had merged
   * without writing yet (the delete is made at the share's version). Lines typed after
   * it, anywhere, were concurrent with it: the edit keeps the file.
   */
  fileDeleted(path: string, at: number, onDisk: Iterable<string>): void {
    this.removed(onDisk);
    const group = this.group(path);
    for (const t of this.tokens.values()) if (t.at <= at && this.group(t.name) === group) t.mayVanish = true;
  }
}

export class SimUsers {
  private batches = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly members: readonly SimMember[],
    readonly ledger: TokenLedger,
    private readonly trace?: (line: string) => void,
  ) {}

  /** Types 1 to 3 lines in several places of one file. */
  type(m: SimMember, path?: string): void {
    const target = path ?? this.pickFile(m);
    const text = target === undefined ? undefined : m.folder.text(target);
    if (target === undefined || text === undefined) return;
    let next = text;
    for (let n = 1 + this.sim.below(3); n > 0; n--) {
      const at = this.sim.pick(lineStarts(next));
      next = `${next.slice(0, at)}${this.mint(m, target)}\n${next.slice(at)}`;
    }
    this.save(m, target, next);
  }

  /** Deletes one typed line of a file. */
  deleteLine(m: SimMember): void {
    const path = this.pickFile(m);
    const text = path === undefined ? undefined : m.folder.text(path);
    if (path === undefined || text === undefined) return;
    const found = [...text.matchAll(/@u\d+\.\d+@\n/g)];
    if (found.length === 0) return;
    const victim = this.sim.pick(found);
    this.save(m, path, text.slice(0, victim.index) + text.slice(victim.index + victim[0].length));
  }

  /** Pastes a block of hundreds of lines into one place of a file. */
  paste(m: SimMember): void {
    const path = this.pickFile(m) ?? `pasted-${this.batches++}.txt`;
    const text = m.folder.text(path) ?? '';
    const block = Array.from({ length: 100 + this.sim.below(400) }, () => `${this.mint(m, path)}\n`).join('');
    const at = this.sim.pick(lineStarts(text));
    this.save(m, path, text.slice(0, at) + block + text.slice(at));
  }

  /** Copies many new files in at once (a folder dropped in). */
  copyIn(m: SimMember): void {
    const dir = `batch-${this.batches++}`;
    const paths: string[] = [];
    for (let i = 0, n = 3 + this.sim.below(38); i < n; i++) {
      const path = `${dir}/f${i}.txt`;
      const lines = Array.from({ length: 1 + this.sim.below(5) }, () => `${this.mint(m, path)}\n`).join('');
      this.write(m, path, lines);
      paths.push(path);
    }
    for (const p of paths) m.diskChanged(p);
  }

  /** Two people create the same new path at about the same time. */
  createSame(a: SimMember, b: SimMember): void {
    const path = `same-${this.batches++}.txt`;
    this.createFile(a, path);
    this.sim.clock.after(this.sim.between(0, 60), () => this.createFile(b, path));
  }

  /** One person deletes a file while another edits it. */
  deleteWhileEdited(a: SimMember, b: SimMember): void {
    const path = this.pickFile(a);
    if (path === undefined) return;
    const before = a.folder.text(path);
    a.folder.files.delete(path);
    this.trace?.(`${a.name}: person deletes ${path}`);
    this.ledger.fileDeleted(path, this.sim.clock.now(), tokensIn(before));
    a.diskChanged(path);
    this.sim.clock.after(this.sim.between(0, 300), () => {
      if (b.folder.files.has(path)) this.type(b, path);
    });
  }

  /** One person renames a file (a file manager's move: same bytes, same time) while another edits it. */
  renameWhileEdited(a: SimMember, b: SimMember): void {
    const from = this.pickFile(a);
    if (from === undefined) return;
    const to = from.replace(/(\.[^./]*)?$/, `-r${this.batches++}$1`);
    const file = a.folder.files.get(from);
    if (!file || a.folder.files.has(to) || pathProblem(to)) return;
    a.folder.files.delete(from);
    a.folder.files.set(to, file);
    this.ledger.renamed(from, to);
    this.trace?.(`${a.name}: person moves ${from} -> ${to}`);
    a.diskChanged(from);
    a.diskChanged(to);
    this.sim.clock.after(this.sim.between(0, 300), () => {
      if (b.folder.files.has(from)) this.type(b, from);
      else if (b.folder.files.has(to)) this.type(b, to);
    });
  }

  private createFile(m: SimMember, path: string): void {
    const lines = Array.from({ length: 1 + this.sim.below(4) }, () => `${this.mint(m, path)}\n`).join('');
    this.save(m, path, lines);
  }

  private pickFile(m: SimMember): string | undefined {
    const paths = [...m.folder.files.keys()].sort();
    return paths.length === 0 ? undefined : this.sim.pick(paths);
  }

  private mint(m: SimMember, path: string): string {
    return this.ledger.mint(m, this.members.indexOf(m), path, this.sim.clock.now());
  }

  /** An editor saves `text` over whatever the file held: lines it no longer has were removed by this person. */
  private save(m: SimMember, path: string, text: string): void {
    this.write(m, path, text);
    m.diskChanged(path);
  }

  private write(m: SimMember, path: string, text: string): void {
    this.trace?.(`${m.name}: person saves ${path} (${tokensIn(text).length} lines)`);
    const kept = new Set(tokensIn(text));
    this.ledger.removed(tokensIn(m.folder.text(path)).filter((t) => !kept.has(t)));
    m.folder.put(path, text);
  }
}

/** Offsets where a line starts (a new line goes there). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** For the checks: every file of a folder and its text. */
export function folderTexts(folder: MemoryFolder): Map<string, string> {
  const out = new Map<string, string>();
  for (const path of [...folder.files.keys()].sort()) out.set(path, folder.text(path)!);
  return out;
}
