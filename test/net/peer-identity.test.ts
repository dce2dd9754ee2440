/**
 * Where `weft peer` keeps keys, and what it leaves in a shared folder (issue 27), with
 * real `weft` processes and real `git`:
 *  - after `init` in a fresh Git working tree and `join` in a clone, `git status` shows
 *    nothing of Weft's, `git add -A` stages nothing of it, no file under either folder
 *    holds an identity's seed, and the identity is 0600 in a 0700 folder of the user's
 *    configuration folder;
 *  - a folder laid out by earlier versions (`.weft/identity`, no .gitignore) is migrated:
 *    the key moves to the configuration folder, or to `identities/` when the user has
 *    another key already, and the member still signs (grants, and a run publishes); a
 *    folder that made a key but never joined joins with that key (the one granted);
 *  - `weft peer revoke` removes a member: its later edits no longer reach the owner, and
 *    the owner's stored log no longer lists it.
 * Every member has a home of its own inside the test's temporary folder (HOME,
 * XDG_CONFIG_HOME, APPDATA): the real home is never touched.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromHex, publicKeyFromText, publicKeyToText, signingKeyPairFromSeed, toHex } from '../../protocol/src/crypto/index.js';
import { ShareNode } from '../../protocol/src/node/share-node.js';
import { FileLogStore } from '../../protocol/storage/file-log-store.js';
import { userIdentityPath } from '../../bin/identity-store.js';
import { WEFT, removeDir, tempDir } from './broker-helpers.js';
import { commitsHeld, freePort, killPeers, makeShare, memberIdentity, PeerProc, peerCli, waitConverged, waitUntil } from './peer-procs.js';

const exec = promisify(execFile);

/** A member with a home of its own: its `weft` finds its identity where a user's would be. */
interface Member {
  dir: string;
  env: Record<string, string>;
  /** Where its identity must be: the configuration folder's rule applied to its home. */
  identity: string;
}

function member(root: string, name: string, dir = join(root, name)): Member {
  const home = join(root, `home-${name}`);
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), APPDATA: join(home, 'AppData', 'Roaming'), WEFT_IDENTITY: '' };
  mkdirSync(dir, { recursive: true });
  return { dir, env, identity: userIdentityPath({ platform: process.platform, env, home }) };
}

interface Output {
  stdout: string;
  stderr: string;
}

async function weft(m: Member, ...args: string[]): Promise<Output> {
  return exec(process.execPath, [WEFT, 'peer', ...args], { env: { ...process.env, ...m.env }, timeout: 30_000 });
}

/** A `weft peer` command that must fail: its exit code and stderr. */
async function weftFails(m: Member, ...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await weft(m, ...args);
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
  assert.fail(`weft peer ${args.join(' ')} succeeded`);
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd, timeout: 30_000 });
  return stdout;
}

function seedOf(identityFile: string): Uint8Array {
  const hex = readFileSync(identityFile, 'utf8').trim();
  assert.match(hex, /^[0-9a-f]{64}$/);
  return fromHex(hex);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The files under `dir` that hold `seed`, as hex (either case) or as raw bytes. */
function filesHoldingSeed(dir: string, seed: Uint8Array): string[] {
  const needles = [Buffer.from(toHex(seed)), Buffer.from(toHex(seed).toUpperCase()), Buffer.from(seed)];
  return filesUnder(dir).filter((f) => {
    const bytes = readFileSync(f);
    return needles.some((n) => bytes.includes(n));
  });
}

/** The lines of `git status` (untracked files listed one by one, ignored ones not) that name Weft's state. */
async function weftLinesInStatus(repo: string): Promise<string[]> {
  return (await git(repo, 'status', '--porcelain', '--untracked-files=all')).split('\n').filter((l) => l.includes('.weft'));
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** The last line of `init`'s output: the invitation. */
function invitationOf(initOut: string): string {
  return initOut.trim().split('\n').pop()!;
}

/** An owner's folder as earlier versions left it (the key in .weft/identity, no .gitignore), and a member-to-be. */
interface LegacyShare {
  owner: Member;
  mate: Member;
  /** The owner's listen address, in the invitation. */
  addr: string;
  invitation: string;
  legacy: string;
  seed: Uint8Array;
}

async function legacyShare(r: string): Promise<LegacyShare> {
  const owner = member(r, 'owner');
  const mate = member(r, 'mate');
  writeFileSync(join(owner.dir, 'doc.md'), 'before the upgrade\n');
  const addr = `/ip4/127.0.0.1/tcp/${await freePort()}`;
  const init = await weft(owner, 'init', '--dir', owner.dir, '--name', 'old', '--address', addr);
  // Today's init, then the key put back where earlier versions kept it, and nothing in the configuration folder.
  const legacy = join(owner.dir, '.weft', 'identity');
  renameSync(owner.identity, legacy);
  rmSync(join(owner.dir, '.weft', '.gitignore'));
  return { owner, mate, addr, invitation: invitationOf(init.stdout), legacy, seed: seedOf(legacy) };
}

async function grantMate(s: LegacyShare): Promise<Output> {
  const mateKey = (await weft(s.mate, 'key')).stdout.trim();
  return weft(s.owner, 'grant', mateKey, '--role', 'writer', '--dir', s.owner.dir, '--name', 'mate');
}

/** The member joins; both run until the owner's new file and the member's are on both sides. */
async function joinAndRun(s: LegacyShare): Promise<void> {
  await weft(s.mate, 'join', s.invitation, '--dir', s.mate.dir);
  const po = await PeerProc.run(s.owner.dir, ['--listen', s.addr], s.owner.env);
  const pm = await PeerProc.run(s.mate.dir, [], s.mate.env);
  await waitConverged([s.owner.dir, s.mate.dir], 30_000, (f) => f.has('doc.md'), [po, pm]);
  writeFileSync(join(s.owner.dir, 'after.md'), 'after the upgrade\n');
  writeFileSync(join(s.mate.dir, 'mate.md'), 'from the new member\n');
  await waitConverged([s.owner.dir, s.mate.dir], 30_000, (f) => f.has('after.md') && f.has('mate.md'), [po, pm]);
  assert.equal(await po.stop(), 0);
  assert.equal(await pm.stop(), 0);
}

describe('net/peer identity: keys outside shared folders, nothing of Weft in Git, migration, revoke', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => {
    killPeers();
    for (const d of dirs) removeDir(d);
  });
  function root(name: string): string {
    const d = tempDir(name);
    dirs.push(d);
    return d;
  }

  it('init in a Git working tree and join in a clone: git sees nothing of Weft, no folder holds a key, the key is 0600', async () => {
    const r = root('peer-identity-git');
    const owner = member(r, 'owner', join(r, 'repo'));
    await git(r, 'init', '-q', 'repo');
    writeFileSync(join(owner.dir, 'doc.md'), '# Team notes\n');
    await git(owner.dir, 'add', 'doc.md');
    await git(owner.dir, 'commit', '-q', '-m', 'first');

    const port = await freePort();
    const addr = `/ip4/127.0.0.1/tcp/${port}`;
    const init = await weft(owner, 'init', '--dir', owner.dir, '--name', 'team', '--address', addr);
    await git(r, 'clone', '-q', 'repo', 'clone');
    const mate = member(r, 'mate', join(r, 'clone'));
    const key = await weft(mate, 'key', '--dir', mate.dir);
    // stdout is just the key; where it lives is on stderr.
    assert.match(key.stdout, /^weft1[0-9a-z]+\n$/);
    assert.match(key.stderr, new RegExp(`identity: ${mate.identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(created\\)`));
    await weft(owner, 'grant', key.stdout.trim(), '--role', 'writer', '--dir', owner.dir, '--name', 'mate');
    await weft(mate, 'join', invitationOf(init.stdout), '--dir', mate.dir);

    // Both run until the clone has the owner's new file: the logs, chunk stores and mirror state are all there.
    const po = await PeerProc.run(owner.dir, ['--listen', addr], owner.env);
    const pm = await PeerProc.run(mate.dir, [], mate.env);
    await waitUntil(() => pm.out.includes('joined the share'), 30_000, () => pm.out);
    writeFileSync(join(owner.dir, 'new.md'), 'from the owner\n');
    await waitConverged([owner.dir, mate.dir], 30_000, (f) => f.has('new.md') && f.get('doc.md') === '# Team notes\n', [po, pm]);
    assert.equal(await po.stop(), 0);
    assert.equal(await pm.stop(), 0);

    for (const m of [owner, mate]) {
      assert.ok(existsSync(join(m.dir, '.weft', 'share.json')) && existsSync(join(m.dir, '.weft', 'log')), `${m.dir} has no share state`);
      assert.equal(readFileSync(join(m.dir, '.weft', '.gitignore'), 'utf8'), '*\n');
      assert.ok(!existsSync(join(m.dir, '.weft', 'identity')), `${m.dir}/.weft holds an identity`);
      assert.deepEqual(await weftLinesInStatus(m.dir), [], `git status lists Weft's state in ${m.dir}`);
      await git(m.dir, 'add', '-A');
      const staged = (await git(m.dir, 'diff', '--cached', '--name-only')).split('\n').filter(Boolean);
      assert.deepEqual(staged.filter((p) => p.includes('.weft')), [], `git add -A staged Weft's state in ${m.dir}`);
      // The key is where the platform keeps configuration, private to the user.
      if (process.platform === 'linux') assert.equal(m.identity, join(m.env.XDG_CONFIG_HOME!, 'weft', 'identity'));
      assert.ok(existsSync(m.identity), `no identity at ${m.identity}`);
      if (process.platform !== 'win32') {
        assert.equal(mode(m.identity), 0o600, `${m.identity} is not 0600`);
        assert.equal(mode(join(m.identity, '..')), 0o700, `the folder of ${m.identity} is not 0700`);
      }
    }
    // The owner's new file is all that git sees in the clone.
    assert.deepEqual((await git(mate.dir, 'diff', '--cached', '--name-only')).split('\n').filter(Boolean), ['new.md']);
    // Neither member's seed is in any file of either folder (.git included), in hex or raw.
    for (const m of [owner, mate]) {
      const seed = seedOf(m.identity);
      for (const folder of [owner.dir, mate.dir]) assert.deepEqual(filesHoldingSeed(folder, seed), [], `${m.identity}'s seed found under ${folder}`);
    }

    // A share in a folder nested in a Git working tree: the .gitignore covers it too.
    const nested = member(r, 'nested', join(r, 'outer', 'project'));
    await git(r, 'init', '-q', 'outer');
    writeFileSync(join(nested.dir, 'a.txt'), 'a\n');
    await weft(nested, 'init', '--dir', nested.dir);
    assert.deepEqual(await weftLinesInStatus(join(r, 'outer')), []);
    assert.deepEqual((await git(join(r, 'outer'), 'status', '--porcelain', '--untracked-files=all')).trim(), '?? project/a.txt');
  });

  it('a folder with the key inside (earlier versions) is migrated: the key moves to the configuration folder, and the owner still grants and publishes', async () => {
    const old = await legacyShare(root('peer-identity-migrate'));
    const { owner, legacy, seed } = old;
    const ownerKey = publicKeyToText(signingKeyPairFromSeed(seed).publicKey);

    // First use of any subcommand migrates: here `grant`, which must sign as the owner.
    const granted = await grantMate(old);
    assert.match(granted.stderr, new RegExp(`moved the identity key ${ownerKey} from ${legacy} to ${owner.identity}`));
    assert.ok(!existsSync(legacy), 'the key is still inside the folder');
    assert.deepEqual(seedOf(owner.identity), seed, 'the moved key is not the folder key');
    if (process.platform !== 'win32') assert.equal(mode(owner.identity), 0o600);
    assert.equal(readFileSync(join(owner.dir, '.weft', '.gitignore'), 'utf8'), '*\n');
    assert.equal((await weft(owner, 'key', '--dir', owner.dir)).stdout.trim(), ownerKey);
    assert.deepEqual(filesHoldingSeed(owner.dir, seed), []);

    // The migrated owner's grant and edits reach the new member, and the member's reach the owner.
    await joinAndRun(old);
  });

  it('a migrated folder whose key is not the user identity keeps signing with it (identities/<share>, recorded in share.json)', async () => {
    const r = root('peer-identity-second');
    const old = await legacyShare(r);
    const { owner, legacy, seed } = old;
    const folderKey = toHex(signingKeyPairFromSeed(seed).publicKey);
    // Meanwhile the user got an identity of their own (another share, or `weft peer key`).
    const userKey = (await weft(owner, 'key')).stdout.trim();
    assert.notEqual(toHex(publicKeyFromText(userKey)), folderKey);

    const shown = await weft(owner, 'key', '--dir', owner.dir);
    const share = JSON.parse(readFileSync(join(owner.dir, '.weft', 'share.json'), 'utf8')) as { shareId: string; identity?: string };
    const kept = join(owner.identity, '..', 'identities', share.shareId.slice(0, 16));
    assert.equal(share.identity, kept);
    assert.deepEqual(seedOf(kept), seed);
    assert.equal((await weft(owner, 'key')).stdout.trim(), userKey, "the user's own identity changed");
    assert.equal(toHex(publicKeyFromText(shown.stdout.trim())), folderKey, 'the folder does not sign with its own key');
    assert.match(shown.stderr, /your identity .* is another key, so the share "old" keeps signing with it/);
    assert.ok(!existsSync(legacy));
    if (process.platform !== 'win32') assert.equal(mode(kept), 0o600);
    // Naming another identity for this folder would sign with a key the share does not know.
    const refused = await weftFails({ ...owner, env: { ...owner.env, WEFT_IDENTITY: join(r, 'other') } }, 'key', '--dir', owner.dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /signs with .*identities.*leave out --identity/);

    // Only the share's owner key can grant: this works only if the folder still signs with it.
    await grantMate(old);
    await joinAndRun(old);
  });

  it('a folder that made its key but has not joined yet (earlier versions) joins with that key, the one its owner granted', async () => {
    const r = root('peer-identity-unjoined');
    const owner = member(r, 'owner');
    const mate = member(r, 'mate');
    writeFileSync(join(owner.dir, 'doc.md'), 'shared\n');
    const invitation = invitationOf((await weft(owner, 'init', '--dir', owner.dir, '--name', 'team')).stdout);
    // `weft peer key --dir` of an earlier version: the key in .weft/identity, sent to the owner and granted.
    const legacy = join(mate.dir, '.weft', 'identity');
    mkdirSync(join(mate.dir, '.weft'));
    const seed = new Uint8Array(32).fill(42);
    writeFileSync(legacy, `${toHex(seed)}\n`);
    const grantedKey = publicKeyToText(signingKeyPairFromSeed(seed).publicKey);
    await weft(owner, 'grant', grantedKey, '--role', 'writer', '--dir', owner.dir);
    // Since then the user has an identity of their own.
    const userKey = (await weft(mate, 'key')).stdout.trim();
    assert.notEqual(userKey, grantedKey);

    const joined = await weft(mate, 'join', invitation, '--dir', mate.dir);
    assert.match(joined.stdout, new RegExp(`joining "team" as ${grantedKey}`));
    assert.match(joined.stderr, /this folder will join with it/);
    const kept = join(mate.identity, '..', 'identities', `key-${toHex(signingKeyPairFromSeed(seed).publicKey).slice(0, 16)}`);
    const share = JSON.parse(readFileSync(join(mate.dir, '.weft', 'share.json'), 'utf8')) as { identity?: string };
    assert.equal(share.identity, kept);
    assert.deepEqual(seedOf(kept), seed);
    assert.deepEqual(readdirSync(join(mate.dir, '.weft')).sort(), ['.gitignore', 'share.json'], 'the key or its note stayed in the folder');
    assert.equal((await weft(mate, 'key', '--dir', mate.dir)).stdout.trim(), grantedKey);
  });

  it('weft peer revoke: the revoked member\u2019s later edits no longer reach the owner; refusals say why', async () => {
    const r = root('peer-identity-revoke');
    const [a, b, c] = ['a', 'b', 'c'].map((n) => join(r, n)) as [string, string, string];
    for (const d of [a, b, c]) mkdirSync(d);
    writeFileSync(join(a, 'doc.md'), 'start\n');
    const port = await freePort();
    const addr = `/ip4/127.0.0.1/tcp/${port}`;
    await makeShare(a, [b, c], ['--address', addr]);
    let procs = [await PeerProc.run(a, ['--listen', addr]), await PeerProc.run(b), await PeerProc.run(c)];
    await waitConverged([a, b, c], 30_000, (f) => f.has('doc.md'), procs);
    for (const p of procs) assert.equal(await p.stop(), 0);

    const keyB = (await peerCli('key', '--dir', b)).trim();
    const asMember = (dir: string): Member => ({ dir, env: { WEFT_IDENTITY: memberIdentity(dir) }, identity: memberIdentity(dir) });
    // A writer may not revoke; a key that is not a member cannot be revoked.
    const byWriter = await weftFails(asMember(c), 'revoke', keyB, '--dir', c);
    assert.match(byWriter.stderr, /only the owner and admins of "team" may revoke access; you \(weft1\S+\) are a writer/);
    const stranger = (await weft(member(r, 'stranger'), 'key')).stdout.trim();
    const notMember = await weftFails(asMember(a), 'revoke', stranger, '--dir', a);
    assert.match(notMember.stderr, /is not a member of "team"; its members besides you: b \(writer\), c \(writer\)/);

    assert.match(await peerCli('revoke', keyB, '--dir', a), /^revoked writer b \(weft1\S+\); the share moved to a new key/);
    assert.match((await weftFails(asMember(a), 'revoke', keyB, '--dir', a)).stderr, /is not a member of "team"/);

    // b edits while it has not heard of the revocation (a commit concurrent with it) ...
    writeFileSync(join(b, 'from-b.txt'), 'b, concurrent with the revocation\n');
    const pa = await PeerProc.run(a, ['--listen', addr]);
    const pb = await PeerProc.run(b);
    // ... a stores it without effect (its only incoming commit so far), and b is told of the revocation; its file stays on its disk.
    await waitUntil(() => /^merged 1 commit$/m.test(pa.out) && /^your access to this share was revoked by owner/m.test(pb.out), 30_000, () => `b's commit and the revocation did not cross:\n${pa.out}\n---\n${pb.out}`);
    assert.match(pa.out, /^refused a commit [0-9a-f]+ from b \(revoked\)/m);
    assert.ok(existsSync(join(b, 'from-b.txt')), 'the revoked member\'s own file left its disk');
    // b edits again, knowing it is revoked; then c (once it too has the revocation: an edit
    // concurrent with it would still be readable by b) and a edit.
    writeFileSync(join(b, 'again-b.txt'), 'b after the revocation\n');
    const pc = await PeerProc.run(c);
    procs = [pa, pb, pc];
    const held = commitsHeld(pa);
    await waitUntil(() => commitsHeld(pc) >= held, 30_000, () => `c never caught up with a's ${held} commits (the revocation among them):\n${pc.out}`);
    writeFileSync(join(c, 'from-c.txt'), 'c after the revocation\n');
    writeFileSync(join(a, 'from-a.txt'), 'a after the revocation\n');
    await waitConverged([a, c], 30_000, (f) => f.has('from-c.txt') && f.has('from-a.txt'), procs);
    for (const f of ['from-b.txt', 'again-b.txt']) {
      assert.ok(!existsSync(join(a, f)), `the revoked member's ${f} reached the owner`);
      assert.ok(!existsSync(join(c, f)), `the revoked member's ${f} reached a member`);
    }
    assert.ok(!existsSync(join(b, 'from-a.txt')) && !existsSync(join(b, 'from-c.txt')), 'the revoked member read what followed the revocation');
    for (const p of procs) assert.equal(await p.stop(), 0);

    // The owner's stored log, reopened: b is no member, and no file of b's is in the share.
    const share = JSON.parse(readFileSync(join(a, '.weft', 'share.json'), 'utf8')) as { shareId: string };
    const { node } = await ShareNode.open({ store: new FileLogStore(join(a, '.weft', 'log')), shareId: fromHex(share.shareId), me: signingKeyPairFromSeed(seedOf(memberIdentity(a))) });
    try {
      const members = [...node.replica.members()].map(([, m]) => `${m.name}:${m.role}`).sort();
      assert.deepEqual(members, ['c:writer', 'owner:owner']);
      assert.deepEqual(node.replica.files().map((f) => f.path).sort(), ['doc.md', 'from-a.txt', 'from-c.txt']);
    } finally {
      await node.close();
    }
  });
});
