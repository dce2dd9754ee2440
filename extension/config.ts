/** Weft's settings (package.json "contributes.configuration"), read fresh on each use. */
import * as vscode from 'vscode';

export interface WeftSettings {
  brokers: string[];
  exclude: string[];
  displayName: string;
  lan: boolean;
  listen: string[];
  /** Direct connections to teammates behind NATs by WebRTC (needs the per-platform package's native module). */
  webrtc: boolean;
}

export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'];

export function readSettings(scope?: vscode.Uri): WeftSettings {
  const c = vscode.workspace.getConfiguration('weft', scope);
  const list = (key: string): string[] => (c.get<unknown[]>(key) ?? []).filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
  const listen = list('listen');
  return {
    brokers: list('brokers'),
    exclude: list('exclude'),
    displayName: (c.get<string>('displayName') ?? '').trim(),
    lan: c.get<boolean>('lan') ?? true,
    webrtc: c.get<boolean>('webrtc') ?? true,
    listen: listen.length ? listen : DEFAULT_LISTEN,
  };
}
