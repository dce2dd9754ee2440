/**
 * bin/identity-store.ts: each platform's configuration folder, and identity files that
 * are private, whole, and never replaced (several first runs at once agree on one key).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../protocol/src/crypto/index.js';
import { explicitIdentity, IdentityError, loadOrCreateIdentity, readIdentitySeed, refuseInsideFolder, weftConfigFolder, writeNewIdentity } from '../../bin/identity-store.js';

describe('bin/identity-store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-identity-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds each platform's configuration folder", () => {
    const home = '/home/ann';
    assert.equal(weftConfigFolder({ platform: 'linux', env: { XDG_CONFIG_HOME: '/cfg' }, home }), '/cfg/weft');
    assert.equal(weftConfigFolder({ platform: 'linux', env: {}, home }), '/home/ann/.config/weft');
    // A relative XDG_CONFIG_HOME is invalid (XDG spec) and ignored.
    assert.equal(weftConfigFolder({ platform: 'freebsd', env: { XDG_CONFIG_HOME: 'cfg' }, home }), '/home/ann/.config/weft');
    assert.equal(weftConfigFolder({ platform: 'darwin', env: { XDG_CONFIG_HOME: '/cfg' }, home: '/Users/ann' }), '/Users/ann/Library/Application Support/weft');
    assert.equal(weftConfigFolder({ platform: 'win32', env: { APPDATA: '/Users/ann/AppData/Roaming' }, home: '/Users/ann' }), '/Users/ann/AppData/Roaming/weft');
    assert.equal(weftConfigFolder({ platform: 'win32', env: {}, home: '/Users/ann' }), '/Users/ann/AppData/Roaming/weft');
  });

  it('--identity beats WEFT_IDENTITY; an empty WEFT_IDENTITY names nothing', () => {
    assert.equal(explicitIdentity('/a/flag', { WEFT_IDENTITY: '/a/env' }), '/a/flag');
    assert.equal(explicitIdentity(undefined, { WEFT_IDENTITY: '/a/env' }), '/a/env');
    assert.equal(explicitIdentity(undefined, { WEFT_IDENTITY: '' }), undefined);
  });

  it('writes a new identity 0600 in a 0700 folder, never replaces one, and leaves no temporary file', async () => {
    const path = join(dir, 'config', 'weft', 'identity');
    const first = new Uint8Array(32).fill(7);
    assert.equal(await writeNewIdentity(path, first), true);
    assert.equal(await writeNewIdentity(path, new Uint8Array(32).fill(9)), false);
    assert.equal(readFileSync(path, 'utf8'), `${toHex(first)}\n`);
    assert.deepEqual(readdirSync(join(dir, 'config', 'weft')), ['identity']);
    if (process.platform !== 'win32') {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'config', 'weft')).mode & 0o777, 0o700);
    }
  });

  it('first runs at once all get the one key that was kept', async () => {
    const path = join(dir, 'identity');
    const loaded = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateIdentity(path)));
    assert.equal(loaded.filter((l) => l.created).length, 1);
    const kept = toHex((await loadOrCreateIdentity(path)).keys.publicKey);
    for (const l of loaded) assert.equal(toHex(l.keys.publicKey), kept);
  });

  it('refuses a damaged identity file with what to do', async () => {
    const path = join(dir, 'identity');
    writeFileSync(path, 'not a key\n');
    await assert.rejects(readIdentitySeed(path), (err: unknown) => err instanceof IdentityError && /64 hex digits.*--identity/.test(err.message));
    assert.equal(await readIdentitySeed(join(dir, 'none')), undefined);
  });

  it('refuses an identity inside the shared folder, and only there', () => {
    const shared = join(dir, 'share');
    mkdirSync(shared);
    assert.throws(() => refuseInsideFolder(shared, join(shared, 'keys', 'me')), IdentityError);
    assert.throws(() => refuseInsideFolder(shared, join(shared, '.weft', 'identity')), IdentityError);
    refuseInsideFolder(shared, join(dir, 'share-keys', 'me'));
    refuseInsideFolder(shared, join(dir, 'identity'));
  });
});
