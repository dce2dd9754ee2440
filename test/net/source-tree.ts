/**
 * A generated source tree for the large-change tests: seeded, so a run is repeatable.
 * Nested folders, lines of varied length (blank lines, short ones, long ones), most files
 * a few KB and some 100 KB or more, adding up to about the total asked for.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { prng } from '../../protocol/sim/prng.js';

export interface TreeSpec {
  readonly files: number;
  readonly totalBytes: number;
  /** How many of the files are large (100 KB to 400 KB). */
  readonly large: number;
  readonly seed: number;
  /** Prefix of every file's path (e.g. 'copied/'), '' for none. */
  readonly under?: string;
}

const WORDS = ['const', 'let', 'return', 'function', 'value', 'index', 'buffer', 'result', 'if', 'else', 'await', 'async', 'export', 'import', 'from', 'type', 'interface', 'string', 'number', 'map', 'filter', 'reduce', 'length', 'error', 'options', 'config', 'node', 'replica', 'share', 'mirror', '=', '=>', '{', '}', '(', ')', ';', '+', '&&', '||', '// note:', 'x', 'y', 'i', 'ñandú', 'naïve', '日本'];
const EXTS = ['.ts', '.js', '.md', '.json', '.css', '.py', '.txt'];

/** path -> text of every file of the tree (generated, not yet written). */
export function generateTree(spec: TreeSpec): Map<string, string> {
  const rnd = prng(spec.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  // Folders: a few levels, names reused so that paths nest.
  const folders: string[] = [''];
  for (let i = 0; i < Math.max(4, Math.floor(spec.files / 40)); i++) {
    const parent = pick(folders);
    if (parent.split('/').length > 5) continue;
    folders.push(`${parent}${pick(['src', 'lib', 'test', 'docs', 'pkg', 'util', 'core', 'ui'])}${i}/`);
  }
  // Sizes: the large ones first, the rest share what is left (uneven: 0.2x to 1.8x the mean).
  const sizes: number[] = [];
  let left = spec.totalBytes;
  for (let i = 0; i < spec.large; i++) {
    const s = 100_000 + Math.floor(rnd() * 300_000);
    sizes.push(s);
    left -= s;
  }
  const small = spec.files - spec.large;
  const weights = Array.from({ length: small }, () => 0.2 + rnd() * 1.6);
  const sum = weights.reduce((a, b) => a + b, 0);
  for (const w of weights) sizes.push(Math.max(1, Math.floor((left * w) / sum)));
  const out = new Map<string, string>();
  sizes.forEach((size, i) => {
    const path = `${spec.under ?? ''}${pick(folders)}file${i}${pick(EXTS)}`;
    out.set(path, textOfSize(size, rnd, pick));
  });
  return out;
}

/** About `size` bytes of code-like lines: blank, short, long, and now and then a very long one. */
function textOfSize(size: number, rnd: () => number, pick: <T>(xs: readonly T[]) => T): string {
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < size) {
    const r = rnd();
    const words = r < 0.1 ? 0 : r < 0.97 ? 1 + Math.floor(rnd() * 14) : 60 + Math.floor(rnd() * 120);
    let line = ' '.repeat(Math.floor(rnd() * 4) * 2);
    for (let w = 0; w < words; w++) line += (w ? ' ' : '') + pick(WORDS);
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the tree's files under `dir`. */
export function writeTree(dir: string, tree: ReadonlyMap<string, string>): void {
  for (const [path, text] of tree) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Bytes of every file of the tree. */
export function treeBytes(tree: ReadonlyMap<string, string>): number {
  let n = 0;
  for (const t of tree.values()) n += Buffer.byteLength(t);
  return n;
}
