/**
 * Which paths of a member's folder Weft leaves alone: what Git would ignore there (every
 * `.gitignore` of the folder, each for its own folder and below, and `.git/info/exclude`)
 * and the member's own exclude globs (`weft.exclude`, gitignore syntax). Such a path is
 * neither shared from this disk nor written to it: a teammate's file at a path this
 * member ignores stays in the share, and this disk keeps its own (docs/FOLDERS.md).
 * Git's own matching rules, through the `ignore` package (the one eslint uses): later
 * and deeper rules win, `!` re-includes, nothing below an ignored folder comes back.
 */
import ignore, { type Ignore } from 'ignore';

interface Level {
  /** The folder the rules belong to ('' for the root). */
  readonly folder: string;
  readonly rules: Ignore;
}

export class IgnoreRules {
  private readonly levels: Level[];
  private readonly cache = new Map<string, boolean>();

  /**
   * `gitignores`: folder ('' for the root) -> text of the `.gitignore` there.
   * `infoExclude`: text of `.git/info/exclude`. `exclude`: the member's globs.
   */
  constructor(gitignores: ReadonlyMap<string, string>, exclude: readonly string[] = [], infoExclude = '') {
    const root = ignore({ allowRelativePaths: false }).add(infoExclude).add(gitignores.get('') ?? '');
    const nested = [...gitignores]
      .filter(([folder]) => folder !== '')
      .sort(([a], [b]) => a.split('/').length - b.split('/').length)
      .map(([folder, text]) => ({ folder, rules: ignore().add(text) }));
    this.levels = [{ folder: '', rules: root }, ...nested, { folder: '', rules: ignore().add([...exclude]) }];
  }

  /** Is `path` (a file, or a folder when `isFolder`) left alone? */
  ignores(path: string, isFolder = false): boolean {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) if (this.decide(`${segments.slice(0, i).join('/')}/`)) return true;
    return this.decide(isFolder ? `${path}/` : path);
  }

  private decide(path: string): boolean {
    const known = this.cache.get(path);
    if (known !== undefined) return known;
    let ignored = false;
    for (const { folder, rules } of this.levels) {
      if (folder !== '' && !path.startsWith(`${folder}/`)) continue;
      const rel = folder === '' ? path : path.slice(folder.length + 1);
      if (rel === '' || rel === '/') continue;
      const r = rules.test(rel);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    this.cache.set(path, ignored);
    return ignored;
  }
}

/** The `.gitignore` files among a folder's paths: the folders whose rules the mirror must read. */
export function gitignoreFolders(paths: Iterable<string>): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '.gitignore') out.push('');
    else if (p.endsWith('/.gitignore')) out.push(p.slice(0, -'/.gitignore'.length));
  }
  return out;
}
