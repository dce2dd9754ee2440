/**
 * One writer per store directory, across processes: a LOCK file holding the pid of
 * its holder ("<pid>\n"). It is created exclusively and complete: the pid is written
 * to a private temp file which is then hard-linked to LOCK (link fails if LOCK exists),
 * so a reader never sees a half-written LOCK. On file systems without hard links it
 * falls back to open(O_CREAT|O_EXCL) and write.
 *
 * A LOCK whose pid is not a running process (the holder was killed) is stale and is
 * taken over. Removing a stale LOCK happens under a second exclusive file,
 * LOCK.takeover, and only if LOCK still holds the pid judged dead, so two processes
 * finding the same stale lock cannot both end up holding the store.
 * Limits: a pid reused by an unrelated process makes a stale lock look held (the
 * error names the pid); pids are only meaningful on one machine, so a store on a
 * network share used from two machines is not protected.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from './durable-fs.js';
import { StoreLockedError } from '../src/ports/log-store.js';

const LOCK_FILE = 'LOCK';
const TAKEOVER_FILE = 'LOCK.takeover';
const TEMP_PREFIX = 'LOCK.tmp.';
/** A lock file without a readable pid (only possible on the fallback path) is stale after this. */
const UNREADABLE_LOCK_STALE_MS = 10_000;

export class DirectoryLock {
  private released = false;

  private constructor(
    private readonly path: string,
    private readonly content: string,
  ) {}

  /** Takes the directory's lock or throws StoreLockedError naming the holder. */
  static async acquire(dir: string): Promise<DirectoryLock> {
    const path = join(dir, LOCK_FILE);
    const content = `${process.pid}\n`;
    for (let attempt = 0; attempt < 8; attempt++) {
      if (await createExclusive(dir, path, content)) {
        await removeDeadTempFiles(dir);
        return new DirectoryLock(path, content);
      }
      const holder = await readHolder(path);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder.alive) throw new StoreLockedError(dir, holder.pid);
      await removeStaleLock(dir, path, holder.text);
    }
    throw new StoreLockedError(dir, undefined);
  }

  /** Removes LOCK if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const now = await readFile(this.path, 'utf8').catch(() => undefined);
    if (now === this.content) await unlink(this.path).catch(() => undefined);
  }
}

/** Creates `path` holding `content` if it does not exist; false if it does. */
async function createExclusive(dir: string, path: string, content: string): Promise<boolean> {
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}.${randomBytes(6).toString('hex')}`);
  const fh = await open(temp, 'wx');
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    return createExclusiveWithoutLink(path, content);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function createExclusiveWithoutLink(path: string, content: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx');
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return true;
}

interface Holder {
  text: string;
  pid: number | undefined;
  alive: boolean;
}

/** Who holds `path`, or undefined if it no longer exists. */
async function readHolder(path: string): Promise<Holder | undefined> {
  let text: string;
  let ageMs: number;
  try {
    text = await readFile(path, 'utf8');
    ageMs = Date.now() - (await stat(path)).mtimeMs;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const m = /^(\d+)\n$/.exec(text);
  if (!m) return { text, pid: undefined, alive: ageMs < UNREADABLE_LOCK_STALE_MS };
  const pid = Number(m[1]);
  return { text, pid, alive: isProcessAlive(pid) };
}

export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM'; // exists, owned by another user
  }
}

async function removeStaleLock(dir: string, path: string, staleText: string): Promise<void> {
  const guard = join(dir, TAKEOVER_FILE);
  if (!(await createExclusive(dir, guard, `${process.pid}\n`))) {
    // Someone else is taking over; if that someone died doing it, clear its guard.
    const taker = await readHolder(guard);
    if (taker && !taker.alive) await unlink(guard).catch(() => undefined);
    else await new Promise((resolve) => setTimeout(resolve, 10));
    return;
  }
  try {
    const now = await readFile(path, 'utf8').catch(() => undefined);
    if (now === staleText) await unlink(path);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Temp files of killed processes (between creating the temp and unlinking it). */
async function removeDeadTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const pid = Number(name.slice(TEMP_PREFIX.length).split('.')[0]);
    if (Number.isInteger(pid) && !isProcessAlive(pid)) await unlink(join(dir, name)).catch(() => undefined);
  }
}
