/** Reading a shared folder's text files through vscode.workspace.fs (works for any file system provider). */
import * as vscode from 'vscode';
import { CONFLICT_COPY } from './binary-mirror.js';
import { IgnoreRules } from './ignore-rules.js';
import { uriOf } from './paths.js';

/** Files above this are not shared as text (a commit holds at most 1 MiB). */
export const MAX_TEXT_FILE_BYTES = 512 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export async function readIgnoreRules(folder: vscode.Uri, exclude: readonly string[]): Promise<IgnoreRules> {
  let gitignore = '';
  try {
    gitignore = new TextDecoder().decode(await vscode.workspace.fs.readFile(uriOf(folder, '.gitignore')));
  } catch {
    // no .gitignore
  }
  return new IgnoreRules(gitignore, exclude);
}

/** The text of a file, or undefined if it is missing, a folder, binary (NUL or invalid UTF-8) or too large. */
export async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.type & vscode.FileType.Directory || stat.size > MAX_TEXT_FILE_BYTES) return undefined;
    const bytes = await vscode.workspace.fs.readFile(uri);
    if (bytes.subarray(0, 8000).includes(0)) return undefined;
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export async function writeText(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, encoder.encode(text));
}

/** Every shared text file of the folder: path -> text. */
export async function scanTextFiles(folder: vscode.Uri, rules: IgnoreRules, log: (line: string) => void): Promise<Map<string, string>> {
  return (await scanFolderFiles(folder, rules, log)).texts;
}

/**
 * Every shared file of the folder: text files (path -> text) and the others (binary, or
 * larger than MAX_TEXT_FILE_BYTES), which are shared as binary files (binary-sync.ts).
 * Conflict copies and temporary files of binary sync are left out (views, not files).
 */
export async function scanFolderFiles(folder: vscode.Uri, rules: IgnoreRules, log: (line: string) => void): Promise<{ texts: Map<string, string>; others: string[] }> {
  const texts = new Map<string, string>();
  const others: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(rel ? uriOf(folder, rel) : folder);
    } catch {
      return;
    }
    for (const [name, type] of entries) {
      const path = rel ? `${rel}/${name}` : name;
      const isDir = (type & vscode.FileType.Directory) !== 0;
      if (rules.ignores(path, isDir) || type & vscode.FileType.SymbolicLink) continue;
      if (isDir) await walk(path);
      else if (type & vscode.FileType.File) {
        if (isBinarySyncView(name)) continue;
        const text = await readText(uriOf(folder, path));
        if (text !== undefined) texts.set(path, text);
        else {
          others.push(path);
          log(`shared as a binary file (binary or larger than ${MAX_TEXT_FILE_BYTES / 1024} KiB): ${path}`);
        }
      }
    }
  };
  await walk('');
  return { texts, others };
}

/** A conflict copy or a temporary file written by binary sync (binary-mirror.ts): never shared. */
export function isBinarySyncView(name: string): boolean {
  return name.includes('.weft-tmp-') || CONFLICT_COPY.test(name);
}
