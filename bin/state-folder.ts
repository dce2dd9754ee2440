/**
 * A shared folder's `.weft/`: the per-share state that must stay beside the folder
 * (share.json, log/, chunks/, the mirror's state), and nothing else. Keys live in the
 * user's configuration folder (bin/identity-store.ts), never here.
 *
 * `.weft/.gitignore` holds `*`, so that in a Git working tree `git status` shows nothing
 * of Weft's and `git add -A` adds nothing of it (at any depth: a .gitignore applies to
 * its own folder). Every writer of `.weft/` calls `ensureStateFolder` first, so that the
 * .gitignore is there before anything else is.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeerAddress } from '../protocol/runtime/index.js';

export const STATE_FOLDER = '.weft';
const GITIGNORE = '*\n';

/** A folder holds no share where one is needed (its message says what to run). */
export class NoShareError extends Error {
  override readonly name = 'NoShareError';
}

/** What `.weft/share.json` holds: which share this folder mirrors, and how to reach it. */
export interface ShareFile {
  shareId: string;
  name: string;
  topics: string[];
  /** Brokers and peers to dial. */
  addresses: PeerAddress[];
  /** Our own addresses, for invitations. */
  selfAddresses: string[];
  /**
   * The identity file this share signs with, when it is not the user's identity: a folder
   * migrated from a version that kept its own key there must keep signing with the key the
   * share knows (bin/identity-migration.ts). Absent: the user's identity.
   */
  identity?: string;
}

/** A path inside the folder's `.weft/`. */
export function statePath(dir: string, ...parts: string[]): string {
  return join(dir, STATE_FOLDER, ...parts);
}

/** Creates `.weft/` if needed and makes sure its `.gitignore` (`*`) is there: call before writing anything into it. */
export async function ensureStateFolder(dir: string): Promise<void> {
  await mkdir(statePath(dir), { recursive: true });
  const ignore = statePath(dir, '.gitignore');
  if (existsSync(ignore) && (await readFile(ignore, 'utf8')) === GITIGNORE) return;
  await writeFile(ignore, GITIGNORE);
}

export function hasShare(dir: string): boolean {
  return existsSync(statePath(dir, 'share.json'));
}

export async function readShare(dir: string): Promise<ShareFile> {
  if (!hasShare(dir)) throw new NoShareError(`${dir} holds no share: run "weft peer init" or "weft peer join" first`);
  return JSON.parse(await readFile(statePath(dir, 'share.json'), 'utf8')) as ShareFile;
}

/** Replaces share.json whole (a temporary file renamed over it: a crash leaves the old one or the new one). */
export async function writeShare(dir: string, share: ShareFile): Promise<void> {
  await ensureStateFolder(dir);
  const path = statePath(dir, 'share.json');
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(share, null, 2) + '\n');
  await rename(tmp, path);
}
