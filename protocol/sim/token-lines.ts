/**
 * Lines typed as unique tokens (`@m3.17@`), as the scenarios' checks read them back: each
 * file's text on a replica, and how often each token is in it ("exactly once" is a count).
 */
import type { ShareReplica } from '../src/share/replica.js';

/** The text of each of `paths` on `replica`; a path it lacks goes to `missing`. */
export function textsOf(replica: ShareReplica, paths: readonly string[], missing: (path: string) => void): Map<string, string> {
  const texts = new Map<string, string>();
  for (const path of paths) {
    const file = replica.fileAt(path);
    if (file === undefined) missing(path);
    else texts.set(path, replica.text(file));
  }
  return texts;
}

/** Every match of `pattern` (global) in `text`, with how many times it is there. */
export function countTokens(text: string, pattern: RegExp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(pattern)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1);
  return counts;
}
