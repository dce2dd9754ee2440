/** "Weft: Stop Sharing" and "Weft: Show Status". */
import * as vscode from 'vscode';
import { fingerprint, fromHex } from '../../protocol/src/index.js';
import type { SessionLauncher } from '../session/session-launcher.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ShareSession } from '../session/share-session.js';
import { connectionView } from '../status/teammate-words.js';
import { pickSession, registerWeftCommand } from './command-support.js';

export function describeSession(s: ShareSession): string {
  const st = s.status();
  const replica = s.replica;
  const members = [...replica.members()].map(([hex, m]) => `${m.name || fingerprint(fromHex(hex))} (${m.role}${hex === replica.meHex ? ', you' : ''})`);
  const online = st.teammates.map((t) => `${t.name} (${connectionView(t).text})`);
  return [
    `"${replica.name || s.bound.name}" in ${s.folder.fsPath}`,
    st.joined ? `you are ${replica.myRole() ?? 'not a member yet'}` : 'waiting for keys (not granted yet?)',
    `${replica.files().length} files, ${st.commits} commits${st.syncing ? `, catching up with ${st.syncing}` : ''}`,
    `${st.peers} peer(s) and ${st.brokers} broker(s) connected${online.length ? `; online: ${online.join(', ')}` : ''}`,
    `members: ${members.join(', ') || 'none yet'}`,
  ].join('\n');
}

export function registerStopAndStatus(launcher: SessionLauncher, registry: SessionRegistry, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    registerWeftCommand('weft.stopSharing', log, async (folderArg?: vscode.Uri): Promise<boolean> => {
      const session = await pickSession(registry, 'Stop sharing which folder?', folderArg);
      if (!session) return false;
      await session.settled();
      await launcher.stop(session.folder);
      void vscode.window.showInformationMessage(`Stopped sharing ${session.folder.fsPath}. Files stay as they are; teammates keep their copies.`);
      return true;
    }),
    registerWeftCommand('weft.showStatus', log, async (): Promise<string> => {
      const all = registry.all();
      const text = all.length ? all.map(describeSession).join('\n\n') : 'Not sharing. Run "Weft: Share This Folder" or "Weft: Join…".';
      const showLog = 'Show Log';
      void vscode.window.showInformationMessage(`Weft: ${text}`, { modal: false }, showLog).then((c) => {
        if (c === showLog) log.show();
      });
      return text;
    }),
  ];
}
