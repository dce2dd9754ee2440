/**
 * A folder in memory, for tests and the simulator: regular files only, atomic writes by
 * construction, modification times from an injected clock. `links` marks paths that
 * stand for symbolic links (to a file or a folder), so the mirror's refusals can be
 * tested without a disk: anything at or below one is refused like a link on disk.
 */
import { pathProblem } from '../src/share/paths.js';
import { UnsafePathError, type FileStat, type Folder } from './folder.js';

interface MemoryFile {
  bytes: Uint8Array;
  mtimeMs: number;
}

export class MemoryFolder implements Folder {
  readonly files = new Map<string, MemoryFile>();
  /** Paths that are links on this pretend disk (their targets are never touched). */
  readonly links = new Set<string>();
  /** Tests: runs at the start of every write, before the check of `expected` (a person writing at that moment). */
  beforeWrite: ((path: string) => void) | undefined;
  private tick = 0;

  constructor(private readonly now: () => number = () => 0) {}

  private check(path: string): void {
    const problem = pathProblem(path);
    if (problem) throw new UnsafePathError('protected', path, `not a path a share may hold (${problem})`);
    const segments = path.split('/');
    for (let i = 1; i <= segments.length; i++) {
      if (this.links.has(segments.slice(0, i).join('/'))) throw new UnsafePathError('link', path, 'a link on the way: never followed');
    }
    for (let i = 1; i < segments.length; i++) {
      if (this.files.has(segments.slice(0, i).join('/'))) throw new UnsafePathError('not-a-file', path, 'a file where a folder should be');
    }
  }

  /** Distinct, growing modification times even when the clock stands still. */
  private stamp(): number {
    this.tick = Math.max(this.tick + 1, this.now());
    return this.tick;
  }

  async list(): Promise<Map<string, FileStat>> {
    const out = new Map<string, FileStat>();
    for (const [path, f] of this.files) if (!pathProblem(path)) out.set(path, { size: f.bytes.length, mtimeMs: f.mtimeMs });
    return out;
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    this.check(path);
    return this.files.get(path)?.bytes.slice();
  }

  async stat(path: string): Promise<FileStat | undefined> {
    this.check(path);
    const f = this.files.get(path);
    return f && { size: f.bytes.length, mtimeMs: f.mtimeMs };
  }

  async write(path: string, bytes: Uint8Array, expected?: FileStat | 'absent'): Promise<FileStat | undefined> {
    this.check(path);
    this.beforeWrite?.(path);
    const now = this.files.get(path);
    if (expected === 'absent' ? now !== undefined : expected !== undefined && (!now || now.bytes.length !== expected.size || now.mtimeMs !== expected.mtimeMs)) return undefined;
    for (const p of this.files.keys()) if (p.startsWith(`${path}/`)) throw new UnsafePathError('not-a-file', path, 'a folder is there');
    const f = { bytes: bytes.slice(), mtimeMs: this.stamp() };
    this.files.set(path, f);
    return { size: f.bytes.length, mtimeMs: f.mtimeMs };
  }

  async remove(path: string): Promise<void> {
    this.check(path);
    this.files.delete(path);
  }

  async rename(from: string, to: string): Promise<boolean> {
    this.check(from);
    this.check(to);
    const f = this.files.get(from);
    if (!f || this.files.has(to)) return false;
    this.files.delete(from);
    this.files.set(to, f);
    return true;
  }

  async pathForRead(path: string): Promise<string> {
    this.check(path);
    throw new Error('a memory folder has no local paths: binary files need a disk');
  }

  async pathForWrite(path: string): Promise<string> {
    this.check(path);
    throw new Error('a memory folder has no local paths: binary files need a disk');
  }

  /** A person (or another tool) writes the file. */
  put(path: string, text: string | Uint8Array): void {
    this.files.set(path, { bytes: typeof text === 'string' ? new TextEncoder().encode(text) : text, mtimeMs: this.stamp() });
  }

  text(path: string): string | undefined {
    const f = this.files.get(path);
    return f && new TextDecoder('utf-8', { ignoreBOM: true }).decode(f.bytes);
  }
}
