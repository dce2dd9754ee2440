/**
 * A member's Git working tree, as the mirror needs it: which branch and commit HEAD is
 * at, and what a commit holds for a path. With it the mirror tells a change Git made (a
 * pull, a checkout, a reset: the file now equals HEAD's blob) from one a person made,
 * and a member who joins with their own clone has files equal to HEAD (unchanged) or
 * changed since HEAD (their changes merge with the share's, HEAD as the base).
 *
 * One `git cat-file --batch` process answers every blob question (a join may ask about
 * thousands of files); paths are asked relative to the repository's top, through the
 * shared folder's prefix inside it. No repository, or no git: `open` gives undefined.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import { textOf } from './file-bytes.js';

const run = promisify(execFile);

interface Question {
  readonly resolve: (bytes: Uint8Array | undefined) => void;
}

/** Where HEAD is: its commit, and its branch (undefined when detached). */
export interface GitHeadState {
  readonly commit: string;
  readonly branch: string | undefined;
}

export class GitCheckout {
  private readonly waiting: Question[] = [];
  private buffer = Buffer.alloc(0);

  private constructor(
    private readonly root: string,
    private readonly prefix: string,
    private readonly process: ChildProcessWithoutNullStreams,
  ) {
    process.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.answer();
    });
    process.on('exit', () => {
      for (const q of this.waiting.splice(0)) q.resolve(undefined);
    });
    process.stdin.on('error', () => undefined);
  }

  /** The Git working tree `root` lies in, or undefined (not a clone, no commit yet, no git). */
  static async open(root: string): Promise<GitCheckout | undefined> {
    try {
      const env = { ...globalThis.process.env, GIT_OPTIONAL_LOCKS: '0' };
      const { stdout } = await run('git', ['rev-parse', '--is-inside-work-tree', '--show-prefix', '--verify', 'HEAD'], { cwd: root, env });
      const [inside, prefix] = stdout.split('\n');
      if (inside !== 'true') return undefined;
      const child = spawn('git', ['cat-file', '--batch'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
      return new GitCheckout(root, prefix ?? '', child);
    } catch {
      return undefined;
    }
  }

  /** Where HEAD is now. */
  async head(): Promise<GitHeadState> {
    const env = { ...globalThis.process.env, GIT_OPTIONAL_LOCKS: '0' };
    const commit = (await run('git', ['rev-parse', 'HEAD'], { cwd: this.root, env })).stdout.trim();
    const branch = await run('git', ['symbolic-ref', '--short', '-q', 'HEAD'], { cwd: this.root, env }).then(
      (r) => r.stdout.trim() || undefined,
      () => undefined,
    );
    return { commit, branch };
  }

  /**
   * The commits from `from` (excluded) to `to` that changed `path`, oldest first, along
   * first parents: the steps by which every member who moves from `from` to `to` makes
   * the same Git edits, whether they pulled the commits one by one or all at once.
   */
  async commitsChanging(path: string, from: string, to: string): Promise<string[]> {
    const { stdout } = await run('git', ['rev-list', '--reverse', '--first-parent', `${from}..${to}`, '--', path], { cwd: this.root, env: { ...globalThis.process.env, GIT_OPTIONAL_LOCKS: '0' }, maxBuffer: 64 * 1024 * 1024 });
    return stdout.split('\n').filter(Boolean);
  }

  /** The working tree's local branches. */
  async branches(): Promise<string[]> {
    const { stdout } = await run('git', ['for-each-ref', '--format=%(refname:short)', 'refs/heads'], { cwd: this.root, env: { ...globalThis.process.env, GIT_OPTIONAL_LOCKS: '0' } });
    return stdout.split('\n').filter(Boolean);
  }

  /** The text of `path` (a share path) at `commit` (default HEAD); undefined if it has no such file or it is not text. */
  async text(path: string, commit = 'HEAD'): Promise<string | undefined> {
    if (path.includes('\n')) return undefined;
    const bytes = await new Promise<Uint8Array | undefined>((resolve) => {
      this.waiting.push({ resolve });
      this.process.stdin.write(`${commit}:${this.prefix}${path}\n`);
    });
    return bytes && textOf(bytes);
  }

  close(): void {
    this.process.stdin.end();
    this.process.kill();
  }

  /** Parses whole answers off the front of the buffer: `<oid> blob <size>\n<bytes>\n` or `<name> missing\n`. */
  private answer(): void {
    for (;;) {
      const q = this.waiting[0];
      const eol = this.buffer.indexOf(10);
      if (!q || eol < 0) return;
      const header = this.buffer.subarray(0, eol).toString('utf8');
      const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!m) {
        this.buffer = this.buffer.subarray(eol + 1); // missing, ambiguous, or not a blob
        this.waiting.shift()!.resolve(undefined);
        continue;
      }
      const size = Number(m[2]);
      if (this.buffer.length < eol + 1 + size + 1) return; // the rest is still coming
      const bytes = new Uint8Array(this.buffer.subarray(eol + 1, eol + 1 + size));
      this.buffer = this.buffer.subarray(eol + 1 + size + 1);
      this.waiting.shift()!.resolve(m[1] === 'blob' ? bytes : undefined);
    }
  }
}
