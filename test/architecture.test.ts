/**
 * Rules of the code base that a reviewer would otherwise check by hand:
 * protocol/ never imports vscode; only protocol/transport/ imports libp2p; protocol
 * modules (folders) form no import cycle; protocol/src outside runtime/ and node/ uses
 * no timers or wall clock (sans-I/O).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g;
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => m[1]!);
}

/** The module a protocol file belongs to: src/<module>, or transport, storage, sim. */
function moduleOf(file: string): string {
  const rel = relative(join(root, 'protocol'), file).split('/');
  return rel[0] === 'src' ? `src/${rel[1]}` : rel[0]!;
}

describe('architecture', () => {
  const files = tsFiles(join(root, 'protocol'));

  it('finds the protocol sources', () => {
    assert.ok(files.length > 40, `only ${files.length} files under protocol/`);
  });

  it('protocol/ never imports vscode, and only protocol/transport imports libp2p', () => {
    for (const f of files) {
      for (const spec of importsOf(f)) {
        assert.notEqual(spec, 'vscode', `${relative(root, f)} imports vscode`);
        if (/^(libp2p|@libp2p\/|@chainsafe\/)/.test(spec)) assert.ok(moduleOf(f) === 'transport', `${relative(root, f)} imports ${spec}`);
      }
    }
  });

  it('protocol modules form no import cycle', () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      const from = moduleOf(f);
      for (const spec of importsOf(f)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
        if (!target.startsWith(join(root, 'protocol'))) continue;
        const to = moduleOf(target);
        if (to !== from) {
          if (!edges.has(from)) edges.set(from, new Set());
          edges.get(from)!.add(to);
        }
      }
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (m: string, path: string[]): void => {
      if (state.get(m) === 'done') return;
      assert.notEqual(state.get(m), 'visiting', `import cycle: ${[...path, m].join(' -> ')}`);
      state.set(m, 'visiting');
      for (const n of edges.get(m) ?? []) visit(n, [...path, m]);
      state.set(m, 'done');
    };
    for (const m of edges.keys()) visit(m, []);
  });

  it('protocol state machines take time as input (no timers or Date.now outside runtime/ and node/)', () => {
    for (const f of files) {
      const m = moduleOf(f);
      if (!m.startsWith('src/') || m === 'src/runtime' || m === 'src/node') continue;
      const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      assert.ok(!/\b(setTimeout|setInterval|Date\.now)\(/.test(src), `${relative(root, f)} uses a timer or the wall clock`);
    }
  });
});
