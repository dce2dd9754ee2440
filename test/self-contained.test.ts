/**
 * A fresh clone is exactly what a user gets: nothing in the repository may read a path
 * above its root (a folder that happens to sit beside the checkout on a developer's
 * machine is not there for anyone else).
 *
 * Every relative path in the sources ('../…' string literals in code, links and quoted
 * paths in Markdown) is resolved against each base it could be meant for: the file's
 * own folder, its compiled place under out/, and the repository root (scripts run there).
 * A path is refused when every base takes it above the root, or when one of them lands
 * on something that exists outside the root while none lands on something inside.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tracesDir } from '../bench/_traces.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SKIP = new Set(['node_modules', 'out', 'dist', '.e2e', '.git', '.weft-demo', 'test-artifacts']);
const CODE = new Set(['.ts', '.mjs', '.js', '.cjs', '.sh']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (CODE.has(extname(e.name)) || e.name.endsWith('.md') || e.name === 'run') out.push(p);
  }
  return out;
}

const inside = (p: string): boolean => p === root || p.startsWith(root + sep);

/** Relative paths a file names: '../…' literals in code, link targets and `../…` in Markdown. */
function relativePaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = file.endsWith('.md')
    ? [...text.matchAll(/\]\((\.\.\/[^)\s#]*)|`(\.\.\/[^`\s]*)`|\s(\.\.\/[\w./-]+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!)
    : [...text.matchAll(/['"`]((?:\.\.\/)+[^'"`\s]*)['"`]/g)].map((m) => m[1]!);
  return found.map((p) => p.replace(/[.,;:]+$/, ''));
}

function bases(file: string): string[] {
  const dir = dirname(file);
  const out = [dir, root];
  if (file.endsWith('.ts')) out.push(join(root, 'out', relative(root, dir)));
  return out;
}

describe('self-contained repository', () => {
  it('no source, script or document reads a path above the repository root', () => {
    const problems: string[] = [];
    const files = sourceFiles(root);
    assert.ok(files.length > 100, `only ${files.length} files found`);
    for (const file of files) {
      for (const path of relativePaths(file)) {
        const resolved = bases(file).map((b) => resolve(b, path));
        const allAbove = resolved.every((p) => !inside(p));
        const existsOutside = resolved.some((p) => !inside(p) && existsSync(p));
        const existsInside = resolved.some((p) => inside(p) && existsSync(p));
        if (allAbove || (existsOutside && !existsInside)) problems.push(`${relative(root, file)}: ${path}`);
      }
    }
    assert.deepEqual(problems, [], `paths above the repository root:\n${problems.join('\n')}`);
  });

  it('the editing traces used by tests and benchmarks live in the repository, with their licence', () => {
    const dir = tracesDir();
    assert.ok(inside(dir), `traces found at ${dir}, outside ${root}`);
    assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /CC BY 4\.0/);
  });

  it('the architecture is written down in the repository', () => {
    const doc = readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');
    for (const layer of ['extension/', 'protocol/', 'transport/', 'storage/', 'Sans-I/O']) assert.ok(doc.includes(layer), `docs/ARCHITECTURE.md does not mention ${layer}`);
  });
});
