/** "Weft: Follow…" (pick an online teammate; keep the view on their editor) and "Weft: Stop Following". */
import * as vscode from 'vscode';
import { fingerprint, fromHex, publicKeyFromText, toHex } from '../../protocol/src/index.js';
import type { FollowMode } from '../presence/follow-mode.js';
import { memberName, presenceLocation } from '../presence/presence-location.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ShareSession } from '../session/share-session.js';
import { registerWeftCommand } from './command-support.js';

interface Candidate {
  session: ShareSession;
  member: string;
  name: string;
  where: string;
}

function onlineTeammates(registry: SessionRegistry): Candidate[] {
  return registry.all().flatMap((session) =>
    session.runtime.presence().map((entry) => {
      const loc = presenceLocation(session.replica, entry.presence);
      return { session, member: entry.memberHex, name: memberName(session.replica, entry), where: loc ? `${loc.path}:${loc.line + 1}` : 'no file open' };
    }),
  );
}

/** A member given as a public key text (weft1…) or as hex. */
function memberHexOf(given: string): string {
  return /^[0-9a-f]{64}$/i.test(given) ? given.toLowerCase() : toHex(publicKeyFromText(given));
}

export function registerFollow(registry: SessionRegistry, follow: FollowMode, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    registerWeftCommand('weft.follow', log, async (memberArg?: string): Promise<boolean> => {
      const all = onlineTeammates(registry);
      let pick: Candidate | undefined;
      if (memberArg !== undefined) {
        const hex = memberHexOf(memberArg);
        pick = all.find((c) => c.member === hex);
        if (!pick) throw new Error('that teammate is not online right now.');
      } else {
        if (all.length === 0) {
          void vscode.window.showInformationMessage('Weft: no teammate is online right now. Follow works once someone has the share open.');
          return false;
        }
        const chosen = await vscode.window.showQuickPick(
          all.map((c) => ({ label: c.name, description: c.where, detail: fingerprint(fromHex(c.member)), candidate: c })),
          { placeHolder: 'Follow whom? Your view follows their editor until you type or move the cursor.' },
        );
        pick = chosen?.candidate;
      }
      if (!pick) return false;
      return follow.start(pick.session, pick.member);
    }),
    registerWeftCommand('weft.stopFollowing', log, async (): Promise<void> => {
      follow.stop('you stopped');
    }),
  ];
}
