/**
 * What a Git working tree's HEAD holds for a path: the text a member's clone had before
 * their own uncommitted changes. A member who joins a share with their own clone has
 * files equal to HEAD (unchanged: the share's newer text is written over them) or
 * changed since HEAD (their changes are merged with the share's, HEAD as the base).
 *
 * One `git cat-file --batch` process answers every question (a join may ask about
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

export class GitHead {
  private readonly waiting: Question[] = [];
  private buffer = Buffer.alloc(0);

  private constructor(
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

  /** The HEAD of the Git working tree `root` lies in, or undefined (not a clone, no commit yet, no git). */
  static async open(root: string): Promise<GitHead | undefined> {
    try {
      const env = { ...globalThis.process.env, GIT_OPTIONAL_LOCKS: '0' };
      const { stdout } = await run('git', ['rev-parse', '--is-inside-work-tree', '--show-prefix', '--verify', 'HEAD'], { cwd: root, env });
      const [inside, prefix] = stdout.split('\n');
      if (inside !== 'true') return undefined;
      const child = spawn('git', ['cat-file', '--batch'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
      return new GitHead(prefix ?? '', child);
    } catch {
      return undefined;
    }
  }

  /** The text of `path` (a share path) at HEAD; undefined if HEAD has no such file or it is not text. */
  async text(path: string): Promise<string | undefined> {
    if (path.includes('\n')) return undefined;
    const bytes = await new Promise<Uint8Array | undefined>((resolve) => {
      this.waiting.push({ resolve });
      this.process.stdin.write(`HEAD:${this.prefix}${path}\n`);
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
