#!/usr/bin/env node
/**
 * The `weft` command.
 *   weft demo [--seed N]     three teammates co-edit one file offline, merge, and a revocation
 *   weft keygen              prints a new identity (public key text and fingerprint)
 *   weft broker [...]        runs a broker (bin/broker.ts)
 *   weft peer <sub> [...]    the headless peer (bin/peer.ts)
 *   weft --version, --help
 * Installed (`npm install -g`), this runs as the bundle dist/weft.cjs (esbuild.mjs).
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo.js';
import { runBrokerCommand } from './broker.js';
import { runPeerCommand } from './peer.js';
import { weftVersion } from './version.js';
import { fingerprint, generateSigningKeyPair, publicKeyToText } from '../protocol/src/index.js';

const USAGE = `usage: weft <command>
  demo [--seed N]   three replicas edit concurrently, merge, and converge (prints what happens)
  keygen            create an identity and print its public key
  broker [...]      run a broker (store and forward encrypted events); broker status
  peer <sub> [...]  headless peer: init, key, grant, revoke, join, invite, run, gc (mirrors a share to a folder)
  --version         print the version
  --help            print this list; "weft broker --help" and "weft peer help" describe their options`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { seed: { type: 'string' } } });
      return runDemo(values.seed !== undefined ? Number(values.seed) : Date.now() % 100000);
    }
    case 'broker':
      return runBrokerCommand(rest);
    case 'peer':
      return runPeerCommand(rest);
    case 'keygen': {
      const k = generateSigningKeyPair();
      console.log(`public key:  ${publicKeyToText(k.publicKey)}\nfingerprint: ${fingerprint(k.publicKey)}`);
      return 0;
    }
    case 'version':
    case '--version':
      console.log(weftVersion());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`weft: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`weft: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
