/**
 * The mocha suite that runs inside the real VS Code extension host (bundled to
 * dist/test-host/index.cjs by esbuild.mjs). VS Code calls run(); a rejection is a failure.
 */
import Mocha from 'mocha';
import { binarySuite } from './binary.test.js';
import { bindingSuite } from './binding.test.js';
import { commandsSuite } from './commands.test.js';
import { diskSuite } from './disk.test.js';
import { gitSuite } from './git.test.js';
import { identitySuite } from './identity.test.js';
import { presenceSuite } from './presence.test.js';
import { readerSuite } from './reader.test.js';
import { shareSuite } from './share.test.js';

export function run(): Promise<void> {
  // WEFT_HOST_GREP runs only the matching tests (e.g. a soak of the binding fuzz).
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', grep: process.env.WEFT_HOST_GREP });
  mocha.suite.emit('pre-require', globalThis, 'host', mocha);
  commandsSuite();
  identitySuite();
  shareSuite();
  bindingSuite();
  presenceSuite();
  readerSuite();
  binarySuite();
  diskSuite();
  gitSuite();
  // The host's console reaches the browser console, which the e2e harness prints.
  const failed: string[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension host test(s) failed:\n${failed.join('\n')}`)) : resolve()));
    runner.on('pass', (t) => console.log(`✔ ${t.fullTitle()} (${t.duration ?? 0} ms)`));
    runner.on('fail', (t, err: Error) => {
      failed.push(`✘ ${t.fullTitle()}: ${err.stack ?? err.message}`);
      console.log(failed[failed.length - 1]);
    });
  });
}
