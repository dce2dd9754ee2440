/**
 * Rules of the code base that a reviewer would otherwise check by hand (the layers of
 * docs/ARCHITECTURE.md): protocol/ never imports vscode; only protocol/transport/
 * imports libp2p; protocol modules (folders) form no import cycle; the core
 * (protocol/src) uses no timers or wall clock and imports nothing above it; the runtime
 * takes its clock, randomness and switches as inputs and reaches adapters only through
 * the ports; the Node platform is wired up at the edges only; protocol/ imports nothing
 * of the editor, the command, benchmarks, tools or tests; bin/, bench/ and tools/
 * never import test/ (what they share with the tests lives in tools/); and extension/,
 * bin/, bench/ and tools/ reach the protocol only through its layers' entry points
 * (protocol/<layer>/index.ts; tests may reach inside). The overlay (protocol/src/overlay)
 * imports only the ports and the codec, and reads no Math.random or environment.
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
/** Side-effect imports (`import './x.js'`) and dynamic imports with a literal path (`import('./x.js')`). */
const BARE_OR_DYNAMIC_IMPORT = /(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => m[1]!);
}

/** Every file a source imports by a relative path (static, side-effect or dynamic), resolved to its .ts source. */
function relativeImportTargets(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(IMPORT)].map((m) => m[1]!).concat([...src.matchAll(BARE_OR_DYNAMIC_IMPORT)].map((m) => (m[1] ?? m[2])!));
  return specs.filter((spec) => spec.startsWith('.')).map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
}

const under = (target: string, folder: string): boolean => target === join(root, folder) || target.startsWith(join(root, folder) + '/');

/** The module a protocol file belongs to: src/<module>, or runtime, transport, storage, mirror, platform, sim. */
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

  it('only protocol/src/crypto/ imports @noble (crypto has one door)', () => {
    for (const f of files) {
      if (moduleOf(f) === 'src/crypto') continue;
      for (const spec of importsOf(f)) assert.ok(!spec.startsWith('@noble/'), `${relative(root, f)} imports ${spec}`);
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

  it('protocol state machines take time as input (no timers or Date.now in protocol/src)', () => {
    for (const f of files) {
      if (!moduleOf(f).startsWith('src/')) continue;
      const src = withoutComments(f);
      assert.ok(!/\b(setTimeout|setInterval|Date\.now)\(/.test(src), `${relative(root, f)} uses a timer or the wall clock`);
    }
  });

  it('the core (protocol/src) imports nothing above it: no runtime, adapter, mirror or platform', () => {
    for (const f of files) {
      if (!moduleOf(f).startsWith('src/')) continue;
      for (const target of protocolImportsOf(f)) {
        assert.ok(moduleOf(target).startsWith('src/'), `${relative(root, f)} imports ${relative(root, target)}: the core must not import ${moduleOf(target)}/ (put the interface it needs in protocol/src/ports/)`);
      }
    }
  });

  it('the overlay (protocol/src/overlay) stands on the ports and the codec alone (no share, log, broker...), so the broker can build on it', () => {
    for (const f of files) {
      if (moduleOf(f) !== 'src/overlay') continue;
      for (const target of protocolImportsOf(f)) {
        const to = moduleOf(target);
        assert.ok(['src/overlay', 'src/ports', 'src/codec'].includes(to), `${relative(root, f)} imports ${relative(root, target)}: the overlay takes what it needs from protocol/src/ports/ and codec/`);
      }
      const src = withoutComments(f);
      assert.ok(!/\bMath\.random\(|process\.env/.test(src), `${relative(root, f)} reads Math.random or the environment: take the Random port`);
    }
  });

  it('the runtime takes time, randomness and switches as inputs (no wall clock, timers, Math.random or environment)', () => {
    for (const f of files) {
      if (moduleOf(f) !== 'runtime') continue;
      const src = withoutComments(f);
      const found = /\b(setTimeout|setInterval|setImmediate|Date\.now|Math\.random|performance\.now)\(|process\.env/.exec(src);
      assert.equal(found, null, `${relative(root, f)} uses ${found?.[0]}: take a Clock or Random (protocol/src/ports/clock.ts) or an option instead`);
    }
  });

  it('the runtime reaches adapters only through the ports', () => {
    for (const f of files) {
      if (moduleOf(f) !== 'runtime') continue;
      for (const target of protocolImportsOf(f)) {
        const to = moduleOf(target);
        assert.ok(to.startsWith('src/') || to === 'runtime', `${relative(root, f)} imports ${relative(root, target)}: the runtime takes adapters as interfaces from protocol/src/ports/`);
      }
      assert.ok(!importsOf(f).some((spec) => spec.startsWith('node:fs')), `${relative(root, f)} touches the disk: take a store or file port instead (protocol/src/ports/)`);
    }
  });

  it('protocol/ imports nothing from extension/, webview/, bin/, bench/, tools/ or test/', () => {
    for (const f of files) {
      for (const target of relativeImportTargets(f)) {
        const above = ['extension', 'webview', 'bin', 'bench', 'tools', 'test'].find((folder) => under(target, folder));
        assert.equal(above, undefined, `${relative(root, f)} imports ${relative(root, target)}: protocol/ is below ${above}/`);
      }
    }
  });

  it('the Node platform (real clock, randomness, the broker on disk) is wired up only by bin/, the extension, tests and benchmarks', () => {
    for (const f of files) {
      if (moduleOf(f) === 'platform') continue;
      for (const target of protocolImportsOf(f)) assert.notEqual(moduleOf(target), 'platform', `${relative(root, f)} imports ${relative(root, target)}`);
    }
  });
});

describe('architecture: the command, benchmarks and tools', () => {
  const files = ['bin', 'bench', 'tools'].flatMap((folder) => tsFiles(join(root, folder)));

  it('finds their sources', () => {
    for (const folder of ['bin', 'bench', 'tools']) assert.ok(files.some((f) => under(f, folder)), `no .ts file under ${folder}/`);
  });

  it('bin/, bench/ and tools/ never import test/ (code they share with the tests lives in tools/)', () => {
    for (const f of files) {
      for (const target of relativeImportTargets(f)) assert.ok(!under(target, 'test'), `${relative(root, f)} imports ${relative(root, target)}: move what both need to tools/`);
    }
  });
});

describe('architecture: the protocol\'s public entry points', () => {
  const layers = ['src', 'runtime', 'transport', 'storage', 'mirror', 'platform', 'sim'];
  const entryPoints = new Set(layers.map((layer) => join(root, 'protocol', layer, 'index.ts')));
  const callers = ['extension', 'bin', 'bench', 'tools'];
  const files = callers.flatMap((folder) => tsFiles(join(root, folder)));

  it('every layer has an entry point', () => {
    for (const entry of entryPoints) assert.ok(statSync(entry, { throwIfNoEntry: false })?.isFile(), `${relative(root, entry)} is missing`);
  });

  it('extension/, bin/, bench/ and tools/ import the protocol only through protocol/<layer>/index.ts', () => {
    assert.ok(files.some((f) => under(f, 'extension')), 'no .ts file under extension/');
    for (const f of files) {
      for (const target of relativeImportTargets(f)) {
        if (!under(target, 'protocol') || entryPoints.has(target)) continue;
        const layer = relative(join(root, 'protocol'), target).split('/')[0];
        assert.fail(`${relative(root, f)} imports ${relative(root, target)}: import it from protocol/${layer}/index.ts (export it there if it is missing)`);
      }
    }
  });
});

function withoutComments(file: string): string {
  return readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
}

/** The protocol files a file imports (relative imports that land under protocol/). */
function protocolImportsOf(file: string): string[] {
  return importsOf(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
    .filter((target) => target.startsWith(join(root, 'protocol') + '/'));
}
