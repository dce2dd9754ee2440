/** The single changed range between two texts (common prefix and suffix), or undefined if equal. */
import type { TextChange } from './types.js';

export function diffText(a: string, b: string): TextChange | undefined {
  if (a === b) return undefined;
  let p = 0;
  const max = Math.min(a.length, b.length);
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return { offset: p, deleteCount: a.length - p - s, insert: b.slice(p, b.length - s) };
}
