// Runs the extension-host suite (test/e2e/host, bundled to dist/test-host/index.cjs) in a
// desktop VS Code through @vscode/test-electron. It never downloads VS Code: set
// WEFT_VSCODE_PATH to a VS Code executable, or have `code` on the PATH. Not part of CI
// (CI runs the same suite in code-server: test/e2e/host.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

function findVsCode() {
  if (process.env.WEFT_VSCODE_PATH) return process.env.WEFT_VSCODE_PATH;
  const which = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  const code = which.stdout.trim();
  if (which.status !== 0 || !code) return undefined;
  // `code` is a launcher script next to (or linked from) the real executable.
  const real = realpathSync(code);
  for (const candidate of [join(dirname(real), '..', 'code'), join(dirname(real), '..', '..', 'code'), join(dirname(real), '..', '..', '..', 'MacOS', 'Electron')]) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const vscodeExecutablePath = findVsCode();
if (!vscodeExecutablePath) {
  console.error('test:electron needs a desktop VS Code and will not download one: set WEFT_VSCODE_PATH to its executable (or put `code` on the PATH).');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
execFileSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: 'inherit' });
execFileSync('node', ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
const folder = mkdtempSync(join(tmpdir(), 'weft-ws-'));
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, 'hello.md'), '# hello\n');
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'dist/test-host/index.cjs'),
    launchArgs: [folder, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'weft-vscode-user-'))}`],
  });
  console.log('extension host suite: passed');
} catch (err) {
  console.error(`extension host suite failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
