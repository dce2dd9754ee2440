/**
 * Where `weft peer` keeps a member's identity (the hex seed of its Ed25519 signing key):
 * in the user's configuration folder, never inside a shared folder. A key beside the
 * files it edits is one `git add -A && git push` away from everyone: it signs as the
 * member and opens every key box sealed to them.
 *
 *   Linux and others  $XDG_CONFIG_HOME/weft/identity, or ~/.config/weft/identity
 *   macOS             ~/Library/Application Support/weft/identity
 *   Windows           %APPDATA%\weft\identity
 *
 * One identity per user, shared by all their shares. `--identity FILE` (or the
 * WEFT_IDENTITY environment variable) names another file: several members on one machine
 * (tests, scripts). A share whose key is not the user's (a folder migrated from a version
 * that kept a key of its own there) records its identity file in share.json.
 *
 * Files are 0600 in a 0700 folder, created atomically: written whole to a temporary file,
 * fsync'd, then linked into place, so nobody ever reads half a key and a key already
 * there is never replaced.
 */
import { existsSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fromHex, randomBytes, signingKeyPairFromSeed, toHex, type SigningKeyPair } from '../protocol/src/index.js';
import { errorCode, fsyncDirectory } from '../protocol/storage/index.js';
import { hasShare, readShare, statePath } from './state-folder.js';

/** An identity file that cannot be used as it is (its message says what to do). */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/** What decides the configuration folder: injectable so that every platform's rule can be tested on one. */
export interface Platform {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
}

export function currentPlatform(): Platform {
  return { platform: process.platform, env: process.env, home: homedir() };
}

/** The folder Weft keeps the user's keys in, by the platform's convention. */
export function weftConfigFolder(p: Platform = currentPlatform()): string {
  switch (p.platform) {
    case 'win32':
      return join(p.env.APPDATA || join(p.home, 'AppData', 'Roaming'), 'weft');
    case 'darwin':
      return join(p.home, 'Library', 'Application Support', 'weft');
    default: {
      // The XDG spec: a relative XDG_CONFIG_HOME is invalid and is ignored.
      const xdg = p.env.XDG_CONFIG_HOME;
      return join(xdg && isAbsolute(xdg) ? xdg : join(p.home, '.config'), 'weft');
    }
  }
}

export function userIdentityPath(p: Platform = currentPlatform()): string {
  return join(weftConfigFolder(p), 'identity');
}

/** The identity named on the command line (`--identity`) or by WEFT_IDENTITY, if any. */
export function explicitIdentity(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = flag ?? (env.WEFT_IDENTITY || undefined);
  return named === undefined ? undefined : resolve(named);
}

/** The user's identity for this command: the one named explicitly, else the configuration folder's. */
export function defaultIdentityPath(explicit: string | undefined): string {
  return explicit ?? userIdentityPath();
}

/** Where a key of one share only is kept, beside the user's identity (`identities/<share id prefix>`). */
export function shareIdentityFolder(userIdentity: string): string {
  return join(dirname(userIdentity), 'identities');
}

const SEED_HEX = /^[0-9a-f]{64}$/i;

/** The seed in an identity file; undefined if there is no such file. */
export async function readIdentitySeed(path: string): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const hex = text.trim();
  if (!SEED_HEX.test(hex)) throw new IdentityError(`${path} is not a Weft identity (it should hold one line of 64 hex digits); move it away to create a new one, or name the right file with --identity`);
  return fromHex(hex.toLowerCase());
}

/**
 * Writes `seed` to `path` unless a file is there already; returns false (writing nothing)
 * if one is. The key is whole and on disk before it appears under its name.
 */
export async function writeNewIdentity(path: string, seed: Uint8Array): Promise<boolean> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  // O_EXCL: never write into a file someone else opened; the random name keeps two writers apart.
  const tmp = join(folder, `.weft-identity-${process.pid}-${toHex(randomBytes(6))}.tmp`);
  const file = await open(tmp, 'wx', 0o600);
  try {
    await file.writeFile(toHex(seed) + '\n');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    return await linkIntoPlace(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * A hard link fails if the name is taken, where a rename would replace it: two first runs
 * at once must not both hand out a key while only the later one survives. A file system
 * without hard links (FAT, some network shares) gets the rename, after a check.
 */
async function linkIntoPlace(tmp: string, path: string): Promise<boolean> {
  try {
    await link(tmp, path);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    if (existsSync(path)) return false;
    await rename(tmp, path);
  }
  await fsyncDirectory(dirname(path));
  return true;
}

export interface LoadedIdentity {
  path: string;
  keys: SigningKeyPair;
  /** Created by this call (there was no key at `path`). */
  created: boolean;
}

/** The identity at `path`, created (a fresh random seed) if there is none. */
export async function loadOrCreateIdentity(path: string): Promise<LoadedIdentity> {
  const stored = await readIdentitySeed(path);
  if (stored) return { path, keys: signingKeyPairFromSeed(stored), created: false };
  const fresh = randomBytes(32);
  const created = await writeNewIdentity(path, fresh);
  // Not created: another process wrote one first, and everyone must use that one.
  const seed = created ? fresh : await readIdentitySeed(path);
  if (!seed) throw new IdentityError(`could not create ${path}`);
  return { path, keys: signingKeyPairFromSeed(seed), created };
}

/**
 * A folder migrated before it joined a share records its own identity here until
 * `weft peer join` writes share.json (which then records it).
 */
export const IDENTITY_NOTE = 'identity-path';

/** The identity file a folder records for its share (share.json, or the note of a folder not joined yet). */
export async function recordedIdentity(dir: string): Promise<string | undefined> {
  if (hasShare(dir)) return (await readShare(dir)).identity;
  const note = statePath(dir, IDENTITY_NOTE);
  return existsSync(note) ? (await readFile(note, 'utf8')).trim() || undefined : undefined;
}

/** Once share.json records the identity (init, join), the note is no longer needed. */
export async function clearIdentityNote(dir: string): Promise<void> {
  await rm(statePath(dir, IDENTITY_NOTE), { force: true });
}

/**
 * The identity a folder's member signs with: the one its share records, else the one named
 * explicitly, else the user's. Refused if it lies inside the shared folder (the mirror
 * and Git would take it), or if it contradicts the one the share records.
 */
export async function folderIdentity(dir: string, explicit: string | undefined): Promise<LoadedIdentity> {
  const recorded = await recordedIdentity(dir);
  if (recorded && explicit && resolve(recorded) !== explicit) {
    throw new IdentityError(`the share in ${dir} signs with ${recorded} (recorded in ${statePath(dir, 'share.json')}), not ${explicit}: leave out --identity and WEFT_IDENTITY for this folder`);
  }
  const path = recorded ?? defaultIdentityPath(explicit);
  refuseInsideFolder(dir, path);
  return loadOrCreateIdentity(path);
}

/** A key inside the shared folder would be mirrored to teammates and committed with the folder. */
export function refuseInsideFolder(dir: string, identityPath: string): void {
  const rel = relative(resolve(dir), resolve(identityPath));
  if (rel && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) {
    throw new IdentityError(`the identity file ${identityPath} is inside the shared folder ${dir}: teammates and Git would get it. Keep it elsewhere (--identity FILE or WEFT_IDENTITY)`);
  }
}
