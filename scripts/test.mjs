// The test command (README: `npm test`). Type-checks everything, lints it (eslint.config.mjs),
// then runs every mocha suite under out/test, and ends with one line "N passed, N failed".
// Set WEFT_TEST_GREP to run a subset; WEFT_SKIP_E2E=1 skips test/e2e.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: false });
  return r.status === 0;
}

let failedSteps = 0;
console.log('> tsc -p . (type check and compile)');
if (!run('npx', ['tsc', '-p', '.'])) failedSteps++;
console.log('> tsc -p webview (type check)');
if (!run('npx', ['tsc', '-p', 'webview'])) failedSteps++;
console.log('> eslint . (lint, rules in eslint.config.mjs)');
if (!run('npx', ['eslint', '.'])) {
  console.log('lint failed: fix the problems listed above (`npm run lint` lists them again; `npx eslint --fix .` fixes some)');
  failedSteps++;
}
console.log('> node esbuild.mjs (extension, webview and extension-host test bundles)');
if (!run('node', ['esbuild.mjs'])) failedSteps++;
if (failedSteps > 0) {
  console.log(`0 passed, ${failedSteps} failed`);
  process.exit(1);
}

const mocha = new Mocha({ timeout: 120_000, reporter: 'spec', grep: process.env.WEFT_TEST_GREP });
function findTests(dir) {
  let out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    // test/e2e/host/ runs inside the VS Code extension host (bundled by esbuild), not here.
    if (e.isDirectory()) out = p.endsWith(join('e2e', 'host')) ? out : out.concat(findTests(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
let files = findTests('out/test').sort();
if (process.env.WEFT_SKIP_E2E === '1') files = files.filter((f) => !f.includes('/e2e/'));
for (const f of files) mocha.addFile(f);
try {
  await mocha.loadFilesAsync();
} catch (err) {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const runner = mocha.run((failures) => {
  const { passes = 0, pending = 0 } = runner.stats ?? {};
  console.log(`${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
  process.exit(failures > 0 || passes === 0 ? 1 : 0);
});
