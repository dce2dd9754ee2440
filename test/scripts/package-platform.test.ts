/**
 * The per-platform extension package (issue 19): `node scripts/package-platform.mjs
 * --target linux-x64` builds a .vsix (a zip) holding the extension bundle with WebRTC's
 * native module beside it, for that target only. Checked: the files, the manifest's target,
 * the binary's kind (ELF, x86-64), that no other platform's binary came along, and that the
 * module as packaged loads from where the bundle looks for it and opens a PeerConnection.
 * Needs `unzip` (.ci/apt-packages); skipped with the reason where it is missing.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { removeDir, tempDir } from '../net/broker-helpers.js';

const run = promisify(execFile);
/** out/test/scripts -> the repository root */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const NATIVE = 'extension/dist/node_modules/@node-datachannel/linux-x64-gnu/node_datachannel.node';
/** ELF's e_machine for x86-64. */
const EM_X86_64 = 0x3e;

function unzipMissing(): string | undefined {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return `no usable \`unzip\` (apt-get install unzip; CI installs .ci/apt-packages): ${err instanceof Error ? err.message : String(err)}`;
  }
}

describe('scripts/package-platform: a linux-x64 .vsix with the native WebRTC module', function () {
  this.timeout(240_000);
  let dir = '';
  let vsix = '';
  let files: string[] = [];

  before(async function () {
    const why = unzipMissing();
    if (why !== undefined) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    dir = tempDir('package-platform');
    vsix = join(dir, 'weft-linux-x64.vsix');
    await run(process.execPath, ['scripts/package-platform.mjs', '--target', 'linux-x64', '--out', vsix], { cwd: root, maxBuffer: 16 << 20 });
    files = (await run('unzip', ['-Z1', vsix], { maxBuffer: 16 << 20 })).stdout.split('\n').filter(Boolean);
  });

  after(async () => {
    if (dir) removeDir(dir);
    // The script built production bundles into dist/; the tests' bundles (source maps) come back.
    await run(process.execPath, ['esbuild.mjs'], { cwd: root });
  });

  it('holds the extension bundle, the panel and the manifest for linux-x64', async () => {
    for (const f of ['extension/package.json', 'extension/dist/extension.cjs', 'extension/dist/webview/panel.js', 'extension/dist/webview/panel.css', 'extension.vsixmanifest']) assert.ok(files.includes(f), `${f} missing from:\n${files.join('\n')}`);
    const manifest = (await run('unzip', ['-p', vsix, 'extension.vsixmanifest'])).stdout;
    assert.match(manifest, /TargetPlatform="linux-x64"/);
    // The bundle keeps the native module outside: it requires it at run time.
    const bundle = (await run('unzip', ['-p', vsix, 'extension/dist/extension.cjs'], { maxBuffer: 64 << 20 })).stdout;
    assert.match(bundle, /require\("node-datachannel"\)/);
    assert.ok(!files.some((f) => f.startsWith('extension/node_modules/')), 'nothing from the repository\'s node_modules at the top');
  });

  it('holds node-datachannel with the linux-x64 (glibc) binary and no other platform\'s', async () => {
    const binaries = files.filter((f) => f.endsWith('.node'));
    assert.deepEqual(binaries, [NATIVE]);
    const platforms = new Set(files.map((f) => /node_modules\/@node-datachannel\/([^/]+)\//.exec(f)?.[1]).filter((p) => p !== undefined));
    assert.deepEqual([...platforms], ['linux-x64-gnu']);
    for (const f of ['extension/dist/node_modules/node-datachannel/package.json', 'extension/dist/node_modules/node-datachannel/dist/cjs/lib/index.cjs', 'extension/dist/node_modules/detect-libc/lib/detect-libc.js']) assert.ok(files.includes(f), `${f} missing`);
    const elf = execFileSync('unzip', ['-p', vsix, NATIVE], { maxBuffer: 64 << 20 });
    assert.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'an ELF file');
    assert.equal(elf.readUInt16LE(18), EM_X86_64, 'built for x86-64');
  });

  it('the packaged module loads from where the bundle looks for it and opens a PeerConnection', async () => {
    const unpacked = join(dir, 'unpacked');
    await run('unzip', ['-q', vsix, '-d', unpacked]);
    const bundle = join(unpacked, 'extension/dist/extension.cjs');
    // Resolved as the bundle's own require() would, from a process outside the repository.
    const probe = `const { createRequire } = require('node:module');
const req = createRequire(${JSON.stringify(bundle)});
const path = req.resolve('node-datachannel');
const ndc = req('node-datachannel');
const pc = new ndc.PeerConnection('probe', { iceServers: [] });
pc.close();
ndc.cleanup();
console.log(JSON.stringify({ path }));`;
    const { stdout } = await run(process.execPath, ['-e', probe], { cwd: dir });
    const { path } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { path?: string };
    assert.ok(path?.startsWith(join(unpacked, 'extension/dist/node_modules/node-datachannel/')), `resolved outside the package: ${path}`);
    assert.ok(readFileSync(join(unpacked, NATIVE)).length > 1_000_000, 'the binary is whole');
  });
});
