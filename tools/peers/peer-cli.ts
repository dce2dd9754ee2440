/**
 * The `weft peer` command as tests and benchmarks run it: several members on one machine,
 * so each folder's member gets an identity of its own (WEFT_IDENTITY, a file beside the
 * folder: never the user's real one, and never inside the share); one-shot commands, and
 * a share set up by its owner with members joining.
 */
import { execFile } from 'node:child_process';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The compiled command (out/bin/weft.js). */
export const WEFT = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/weft.js');

/** The identity file of the member that works in `dir`: beside it, so the test's temporary root removes it. */
export function memberIdentity(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.identity`);
}

/** The environment of a `weft peer` process for the member of `dir` (the folder after --dir in `args`). */
export function memberEnv(args: string[]): NodeJS.ProcessEnv {
  const at = args.indexOf('--dir');
  const dir = at >= 0 ? args[at + 1] : undefined;
  return dir === undefined ? process.env : { ...process.env, WEFT_IDENTITY: memberIdentity(dir) };
}

/** Runs a one-shot `weft peer ...` command and returns its stdout. */
export async function peerCli(...args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [WEFT, 'peer', ...args], { timeout: 30_000, env: memberEnv(args) });
  return stdout;
}

/** Sets up a share: `owner` inits with its files, every other folder joins (as a writer unless `roles` says otherwise). Returns the invitation. */
export async function makeShare(owner: string, joiners: string[], initArgs: string[], roles: Readonly<Record<string, 'writer' | 'reader' | 'admin'>> = {}): Promise<string> {
  const initOut = await peerCli('init', '--dir', owner, '--name', 'team', ...initArgs);
  const invitation = initOut.trim().split('\n').pop()!;
  for (const j of joiners) {
    const key = (await peerCli('key', '--dir', j)).trim();
    await peerCli('grant', key, '--role', roles[j] ?? 'writer', '--dir', owner, '--name', j.split('/').pop()!);
    await peerCli('join', invitation, '--dir', j);
  }
  return invitation;
}
