/**
 * Folders made by earlier versions of `weft peer` kept the member's key in
 * `.weft/identity`, inside the shared folder, and had no `.weft/.gitignore`. On the first
 * use of any subcommand such a folder is brought to today's layout:
 *  - `.weft/.gitignore` is written (nothing of Weft's reaches Git);
 *  - the key moves to the user's configuration folder if the user has no identity yet
 *    (or already has this very key);
 *  - if the user's identity is another key, the folder's key moves to
 *    `<config>/weft/identities/<share id prefix>` and share.json records that file: the
 *    member must keep signing with the key the share knows.
 * The key is written at its new place (fsync'd) before it is removed from the folder, so
 * a crash at any point loses nothing, and running again finishes the move.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesEqual, publicKeyToText, signingKeyPairFromSeed, toHex } from '../protocol/src/index.js';
import { defaultIdentityPath, IDENTITY_NOTE, IdentityError, readIdentitySeed, refuseInsideFolder, shareIdentityFolder, writeNewIdentity } from './identity-store.js';
import { ensureStateFolder, hasShare, readShare, statePath, writeShare, type ShareFile } from './state-folder.js';

/** Hex digits of the share id (or key) that name a share's own identity file. */
const PREFIX_HEX = 16;

/** Migrates `dir` if an earlier version made it; does nothing to a folder in today's layout. */
export async function migrateFolder(dir: string, explicit: string | undefined, note: (line: string) => void): Promise<void> {
  if (existsSync(statePath(dir))) await ensureStateFolder(dir);
  const legacy = statePath(dir, 'identity');
  const seed = await readIdentitySeed(legacy);
  if (!seed) return;
  const userIdentity = defaultIdentityPath(explicit);
  refuseInsideFolder(dir, userIdentity);
  const share = hasShare(dir) ? await readShare(dir) : undefined;
  const placed = await placeKey(seed, [userIdentity, ...shareIdentityCandidates(userIdentity, seed, share)]);
  if (placed !== userIdentity) await recordIdentity(dir, share, placed);
  await rm(legacy);
  const key = publicKeyToText(signingKeyPairFromSeed(seed).publicKey);
  if (placed === userIdentity) {
    note(`moved the identity key ${key} from ${legacy} to ${placed} (keys are no longer kept inside shared folders)`);
  } else {
    const what = share ? `the share "${share.name}" keeps signing with it (recorded in ${statePath(dir, 'share.json')})` : `this folder will join with it (recorded in ${statePath(dir, IDENTITY_NOTE)})`;
    note(`moved the identity key ${key} from ${legacy} to ${placed}: your identity ${userIdentity} is another key, so ${what}`);
  }
}

/**
 * Where a share's own key goes when the user's identity is another key: named by the
 * share (two folders of one share with two keys get the second name), or by the key if
 * the folder has not joined a share yet.
 */
function shareIdentityCandidates(userIdentity: string, seed: Uint8Array, share: ShareFile | undefined): string[] {
  const folder = shareIdentityFolder(userIdentity);
  const keyPrefix = toHex(signingKeyPairFromSeed(seed).publicKey).slice(0, PREFIX_HEX);
  if (!share) return [join(folder, `key-${keyPrefix}`)];
  const sharePrefix = share.shareId.slice(0, PREFIX_HEX);
  return [join(folder, sharePrefix), join(folder, `${sharePrefix}-${keyPrefix}`)];
}

/** The first candidate that already holds this key or is free (and then gets it). */
async function placeKey(seed: Uint8Array, candidates: string[]): Promise<string> {
  for (const path of candidates) {
    // A free name can be taken by another process between the check and the write: look again.
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await readIdentitySeed(path);
      if (existing) {
        if (bytesEqual(existing, seed)) return path;
        break;
      }
      if (await writeNewIdentity(path, seed)) return path;
    }
  }
  throw new IdentityError(`could not move the identity key out of the shared folder: ${candidates.join(', ')} all hold other keys. Move one of them away and run again`);
}

async function recordIdentity(dir: string, share: ShareFile | undefined, identity: string): Promise<void> {
  if (share) await writeShare(dir, { ...share, identity });
  else await writeFile(statePath(dir, IDENTITY_NOTE), identity + '\n');
}
