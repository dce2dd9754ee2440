/**
 * Which paths of a shared folder are never shared: `.git/`, `.weft/`, the folder's
 * root `.gitignore` (simple patterns: `*`, `**`, `?`, anchored `/x`, trailing `/` for
 * folders; `!` negations are not supported and are skipped) and the `weft.exclude`
 * globs (matched against the whole '/'-separated path, `{a,b}` allowed). No `vscode`.
 */
const ALWAYS = ['.git/', '.weft/'];

export class IgnoreRules {
  private readonly rules: Array<{ re: RegExp; dirOnly: boolean }> = [];

  constructor(gitignore: string, exclude: readonly string[]) {
    for (const line of [...ALWAYS, ...gitignore.split(/\r?\n/)]) {
      const t = line.trim();
      if (!t || t.startsWith('#') || t.startsWith('!')) continue;
      const dirOnly = t.endsWith('/');
      const body = dirOnly ? t.slice(0, -1) : t;
      const anchored = body.includes('/');
      const pat = body.replace(/^\//, '');
      // Unanchored patterns match a name at any depth.
      this.rules.push({ re: new RegExp(`^${anchored ? '' : '(?:.*/)?'}${globToRegex(pat)}$`), dirOnly });
    }
    for (const g of exclude) {
      const pat = g.replace(/^\.?\//, '');
      this.rules.push({ re: new RegExp(`^${globToRegex(pat)}$`), dirOnly: false });
    }
  }

  /** Is `path` (a file, or a folder when `isDir`) left out of the share? A rule matching a folder covers all below it. */
  ignores(path: string, isDir = false): boolean {
    const segs = path.split('/');
    for (let i = 1; i <= segs.length; i++) {
      const head = segs.slice(0, i).join('/');
      const headIsDir = i < segs.length || isDir;
      if (this.rules.some((r) => (!r.dirOnly || headIsDir) && r.re.test(head))) return true;
    }
    return false;
  }
}

export function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) out += '\\{';
      else {
        out += `(?:${glob.slice(i + 1, end).split(',').map((p) => globToRegex(p)).join('|')})`;
        i = end;
      }
    } else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return out;
}
