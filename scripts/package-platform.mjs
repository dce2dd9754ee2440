// A per-platform .vsix (issue 19): the extension with WebRTC's native module for one VS Code
// target, as VS Code expects of extensions with native code (`vsce package --target`).
//
//   node scripts/package-platform.mjs --target linux-x64 [--out weft-linux-x64-0.1.0.vsix]
//   npm run package:platform -- --target linux-x64
//
// The esbuild bundle keeps node-datachannel external (esbuild.mjs): at run time
// dist/extension.cjs requires it, and Node finds it in dist/node_modules. So the package
// gets, beside the bundle, dist/node_modules/ with node-datachannel's JavaScript, its one
// dependency (detect-libc) and the target's prebuilt binary (@node-datachannel/<platform>),
// and no other platform's binary. The binary comes from node_modules when it is the one
// installed here, else from the npm registry (`npm pack`, the same version). The files
// are staged in a temporary folder (vsce --no-dependencies leaves a top-level
// node_modules out), so the working tree keeps no platform's files in dist/.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** VS Code's targets and node-datachannel's package of prebuilt binaries for each. */
const NATIVE_PACKAGES = {
  'linux-x64': '@node-datachannel/linux-x64-gnu',
  'linux-arm64': '@node-datachannel/linux-arm64-gnu',
  'alpine-x64': '@node-datachannel/linux-x64-musl',
  'alpine-arm64': '@node-datachannel/linux-arm64-musl',
  'darwin-x64': '@node-datachannel/darwin-x64',
  'darwin-arm64': '@node-datachannel/darwin-arm64',
  'win32-x64': '@node-datachannel/win32-x64-msvc',
  'win32-arm64': '@node-datachannel/win32-arm64-msvc',
};

function argument(name) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function json(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function run(command, args, cwd = root) {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Copies `files` (paths inside the package folder `from`) to `to`, without source maps. */
function copyPackage(from, to, files) {
  for (const f of files) if (existsSync(join(from, f))) cpSync(join(from, f), join(to, f), { recursive: true, filter: (path) => !path.endsWith('.map') });
}

/** The target's binary package into `to`: from node_modules when it is installed (same version), else from the registry. */
function nativeBinary(name, version, to, scratch) {
  const installed = join(root, 'node_modules', name);
  if (existsSync(join(installed, 'package.json')) && json(join(installed, 'package.json')).version === version) {
    copyPackage(installed, to, ['package.json', 'node_datachannel.node', 'LICENSE']);
    return 'node_modules';
  }
  execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', scratch, '--silent'], { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack ${name}@${version} gave no tarball`);
  mkdirSync(to, { recursive: true });
  // npm tarballs hold the package under package/.
  run('tar', ['-xzf', join(scratch, tarball), '-C', to, '--strip-components=1']);
  return 'the npm registry';
}

function main() {
  const target = argument('target');
  const native = NATIVE_PACKAGES[target];
  if (native === undefined) {
    console.error(`usage: node scripts/package-platform.mjs --target <${Object.keys(NATIVE_PACKAGES).join('|')}> [--out file.vsix]`);
    process.exit(2);
  }
  const { version } = json(join(root, 'package.json'));
  const out = resolve(argument('out') ?? `weft-${target}-${version}.vsix`);
  const datachannel = json(join(root, 'node_modules/node-datachannel/package.json'));

  run(process.execPath, ['esbuild.mjs', '--production']);
  run(process.execPath, ['scripts/package-readme.mjs']);

  const stage = mkdtempSync(join(tmpdir(), `weft-package-${target}-`));
  try {
    copyPackage(root, stage, ['package.json', 'LICENSE', 'media/icon.png', 'dist/extension.cjs', 'dist/webview/panel.js', 'dist/webview/panel.css', 'dist/README.md']);
    const modules = join(stage, 'dist/node_modules');
    copyPackage(join(root, 'node_modules/node-datachannel'), join(modules, 'node-datachannel'), ['package.json', 'LICENSE', 'dist/cjs']);
    copyPackage(join(root, 'node_modules/detect-libc'), join(modules, 'detect-libc'), ['package.json', 'LICENSE', 'lib']);
    const scratch = join(stage, '.scratch');
    mkdirSync(scratch);
    const from = nativeBinary(native, datachannel.version, join(modules, native), scratch);
    rmSync(scratch, { recursive: true });
    // The repository's list of what goes in, and the native modules.
    writeFileSync(join(stage, '.vscodeignore'), `${readFileSync(join(root, '.vscodeignore'), 'utf8').trimEnd()}\n!dist/node_modules/**\n`);
    run(join(root, 'node_modules/.bin/vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--target', target, '--readme-path', 'dist/README.md', '-o', out], stage);
    console.log(`${out}: ${target}, node-datachannel ${datachannel.version} with ${native} (from ${from})`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main();
