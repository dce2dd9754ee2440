/**
 * `weft` as an installed command, the way someone sets up a broker on a server:
 * `npm pack` (its prepack script bundles dist/weft.cjs), `npm install -g` of the tarball
 * into a temporary prefix, then `weft` from the PATH, outside the repository, with no
 * node_modules and no TypeScript build beside it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publicKeyFromText } from '../../protocol/src/crypto/index.js';
import { WireClient, removeDir, tempDir } from './broker-helpers.js';

const run = promisify(execFile);

/** out/test/net -> the repository root */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/** What `npm pack --json` reports about the tarball (the fields used here). */
interface PackReport {
  filename: string;
  size: number;
  files: Array<{ path: string }>;
}

/** Resolves with the first match of `pattern` in the child's stdout; rejects at the deadline or if it exits first. */
function waitForOutput(proc: ChildProcess, pattern: RegExp, deadlineMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolveMatch, reject) => {
    let out = '';
    let err = '';
    const finish = (outcome: () => void): void => {
      clearTimeout(timer);
      proc.stdout!.off('data', onOut);
      proc.stderr!.off('data', onErr);
      proc.off('exit', onExit);
      outcome();
    };
    const onOut = (b: Buffer): void => {
      out += b.toString();
      const m = out.match(pattern);
      if (m) finish(() => resolveMatch(m));
    };
    const onErr = (b: Buffer): void => {
      err += b.toString();
    };
    const onExit = (code: number | null): void => finish(() => reject(new Error(`exited with ${code} before printing ${pattern}:\n${out}${err}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} in ${deadlineMs} ms:\n${out}${err}`))), deadlineMs);
    proc.stdout!.on('data', onOut);
    proc.stderr!.on('data', onErr);
    proc.on('exit', onExit);
  });
}

function exitCode(proc: ChildProcess, deadlineMs: number): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolveCode, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${deadlineMs} ms after SIGTERM`)), deadlineMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolveCode(code);
    });
  });
}

describe('net/install: weft from an npm tarball', function () {
  this.timeout(120_000);
  let work: string;
  let prefix: string;
  let pack: PackReport;
  let installMs: number;
  /** The environment of a user who installed it: the prefix's bin first on the PATH. */
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];
  const clients: WireClient[] = [];

  before(async function () {
    // A cold pack bundles for a few seconds; on a busy shared machine, much longer.
    this.timeout(600_000);
    work = tempDir('install');
    prefix = join(work, 'prefix');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, maxBuffer: 16 << 20 });
    [pack] = JSON.parse(packed.stdout) as PackReport[];
    // Installed from a folder with no package.json, as on a server.
    const t0 = performance.now();
    await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(work, pack.filename)], { cwd: elsewhere, maxBuffer: 16 << 20 });
    installMs = performance.now() - t0;
    env = { ...process.env, PATH: [join(prefix, 'bin'), process.env.PATH ?? ''].join(delimiter) };
    console.log(`      ${pack.filename}: ${(pack.size / 1024).toFixed(0)} kB packed; npm install -g took ${installMs.toFixed(0)} ms`);
  });

  after(async () => {
    for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(clients.map((c) => c.close()));
    if (work) removeDir(work);
  });

  it('packs the bundled command, package.json, README and LICENSE, and nothing else', () => {
    assert.deepEqual(pack.files.map((f) => f.path).sort(), ['LICENSE', 'README.md', 'dist/weft.cjs', 'package.json']);
  });

  it('installs without dependencies: the bundle is all the command needs', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'weft');
    assert.ok(existsSync(join(installed, 'dist', 'weft.cjs')), `no ${installed}/dist/weft.cjs`);
    assert.ok(!existsSync(join(installed, 'node_modules')), 'npm installed dependencies beside the bundle');
    assert.ok(existsSync(join(prefix, 'bin', 'weft')), 'no weft in the prefix bin folder');
  });

  it('weft --version prints package.json version', async () => {
    const { stdout } = await run('weft', ['--version'], { env, cwd: work });
    assert.equal(stdout.trim(), version);
  });

  it('weft --help lists the commands', async () => {
    const { stdout } = await run('weft', ['--help'], { env, cwd: work });
    assert.match(stdout, /^ {2}broker\b/m);
    assert.match(stdout, /^ {2}peer\b/m);
  });

  it('weft broker listens, accepts a peer, and stops cleanly on SIGTERM', async () => {
    const data = join(work, 'broker-data');
    const broker = spawn('weft', ['broker', '--data', data, '--listen', '/ip4/127.0.0.1/tcp/0'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(broker);
    const [, addr] = await waitForOutput(broker, /^listening (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)$/m, 60_000);
    // A connection goes through Noise and yamux inside the bundle: the libp2p polyfills
    // (Promise.withResolvers on Node 20) must have been installed before libp2p ran.
    const client = await WireClient.connect(addr!);
    clients.push(client);
    await client.close();
    broker.kill('SIGTERM');
    assert.equal(await exitCode(broker, 60_000), 0);
    assert.ok(existsSync(join(data, 'status.json')), 'the broker wrote no status file in its data folder');
  });

  it('weft peer key prints a weft1 public key', async () => {
    const dir = join(work, 'peer');
    // The identity goes to the user's configuration folder: here one inside the test's folder, never the real home.
    const config = join(work, 'config');
    const { stdout } = await run('weft', ['peer', 'key', '--dir', dir], { env: { ...env, XDG_CONFIG_HOME: config, APPDATA: config }, cwd: work });
    const text = stdout.trim();
    assert.match(text, /^weft1[0-9a-z]+$/);
    assert.equal(publicKeyFromText(text).length, 32, 'the key text does not decode to an Ed25519 public key');
    if (process.platform !== 'darwin') assert.ok(existsSync(join(config, 'weft', 'identity')), 'no identity in the configuration folder');
    assert.ok(!existsSync(join(dir, '.weft', 'identity')), 'the identity was written inside the folder');
  });
});
