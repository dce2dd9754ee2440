/** Share paths ('/'-separated, relative to the shared folder) <-> VS Code URIs. */
import * as vscode from 'vscode';

/** The share path of `uri` inside `folder`, or undefined if it lies outside (or is the folder itself). */
export function sharePathOf(folder: vscode.Uri, uri: vscode.Uri): string | undefined {
  if (uri.scheme !== folder.scheme || uri.authority !== folder.authority) return undefined;
  const root = folder.path.endsWith('/') ? folder.path : `${folder.path}/`;
  if (!uri.path.startsWith(root)) return undefined;
  const rel = uri.path.slice(root.length);
  return rel === '' ? undefined : rel;
}

export function uriOf(folder: vscode.Uri, path: string): vscode.Uri {
  return vscode.Uri.joinPath(folder, ...path.split('/'));
}
