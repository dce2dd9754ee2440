/**
 * "Weft: Grant Access…" (key, role, optional name) and "Weft: Revoke Access…" (pick a
 * member). Arguments skip the prompts (tests, other extensions):
 * weft.grantAccess(keyText, role, name?, folder?), weft.revokeAccess(memberKeyText, folder?).
 */
import * as vscode from 'vscode';
import { fingerprint, fromHex, KeyTextError, publicKeyFromText, publicKeyToText, type GrantableRole } from '../../protocol/src/index.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { pickSession, registerWeftCommand } from './command-support.js';

const ROLES: Array<{ label: string; role: GrantableRole; detail: string }> = [
  { label: 'Writer', role: 'writer', detail: 'reads and edits files' },
  { label: 'Reader', role: 'reader', detail: 'reads files; cannot edit' },
  { label: 'Admin', role: 'admin', detail: 'edits, and may grant and revoke access' },
];

export function validateKeyText(text: string): string | undefined {
  if (!text.trim()) return undefined;
  try {
    publicKeyFromText(text);
    return undefined;
  } catch (err) {
    return err instanceof KeyTextError ? err.message : String(err);
  }
}

export function registerAccessCommands(registry: SessionRegistry, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    registerWeftCommand('weft.grantAccess', log, async (keyArg?: string, roleArg?: GrantableRole, nameArg?: string, folderArg?: vscode.Uri): Promise<boolean> => {
      const session = await pickSession(registry, 'Grant access to which share?', folderArg);
      if (!session) return false;
      const keyText =
        keyArg ??
        (await vscode.window.showInputBox({
          title: 'Weft: Grant Access',
          prompt: 'Paste the teammate\'s public key (they get it with "Weft: Copy My Public Key")',
          placeHolder: 'weft1…',
          ignoreFocusOut: true,
          validateInput: validateKeyText,
        }));
      if (!keyText) return false;
      const member = publicKeyFromText(keyText);
      const role = roleArg ?? (await vscode.window.showQuickPick(ROLES, { title: 'Weft: Grant Access', placeHolder: `Role for ${fingerprint(member)}` }))?.role;
      if (!role) return false;
      const name =
        nameArg ??
        (await vscode.window.showInputBox({ title: 'Weft: Grant Access', prompt: 'Their name, as the team sees it (optional)', ignoreFocusOut: true })) ??
        '';
      session.replica.grant(member, role, name.trim() || fingerprint(member));
      await session.commits.flush();
      void vscode.window.showInformationMessage(`Granted ${role} access to ${name.trim() || fingerprint(member)}. They can now join with the invitation.`);
      return true;
    }),
    registerWeftCommand('weft.revokeAccess', log, async (keyArg?: string, folderArg?: vscode.Uri): Promise<boolean> => {
      const session = await pickSession(registry, 'Revoke access to which share?', folderArg);
      if (!session) return false;
      const replica = session.replica;
      let member: Uint8Array | undefined = keyArg ? publicKeyFromText(keyArg) : undefined;
      if (!member) {
        const items = [...replica.members()]
          .filter(([hex, m]) => hex !== replica.meHex && m.role !== 'owner')
          .map(([hex, m]) => ({ label: m.name || fingerprint(fromHex(hex)), description: m.role, detail: publicKeyToText(fromHex(hex)), hex }));
        if (items.length === 0) throw new Error('nobody else has access to this share.');
        const pick = await vscode.window.showQuickPick(items, { title: 'Weft: Revoke Access', placeHolder: 'Whose access do you revoke? (Later changes are encrypted with a new key they do not get.)' });
        if (!pick) return false;
        member = fromHex(pick.hex);
      }
      replica.revoke(member);
      await session.commits.flush();
      void vscode.window.showInformationMessage(`Revoked access of ${fingerprint(member)}; the share moved to a new key.`);
      return true;
    }),
  ];
}
