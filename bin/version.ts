/**
 * The version `weft --version` prints: package.json's.
 *
 * The installed command is one bundled file (dist/weft.cjs, built by esbuild.mjs) with no
 * sources beside it, so esbuild writes the version in at build time (`define`). The tsc
 * build (out/bin/version.js) has no such constant and reads the repository's
 * package.json, two folders up from itself.
 */
import { readFileSync } from 'node:fs';

/** Replaced by a string literal in the bundle; an undeclared global (typeof 'undefined') elsewhere. */
declare const WEFT_BUNDLED_VERSION: string | undefined;

export function weftVersion(): string {
  if (typeof WEFT_BUNDLED_VERSION === 'string') return WEFT_BUNDLED_VERSION;
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : undefined;
  if (typeof version !== 'string') throw new Error('package.json has no version');
  return version;
}
