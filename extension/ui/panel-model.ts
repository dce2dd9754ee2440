/**
 * The panel's view of one share session: members with role, presence (online, file),
 * connection summary, invitation; and the actions the panel offers, carried out on the
 * session (grant, change role, revoke, follow, copy the invitation).
 */
import * as vscode from 'vscode';
import { fingerprint, fromHex, publicKeyFromText, publicKeyToText, toHex } from '../../protocol/src/index.js';
import type { GrantableRole, MemberView, PanelState } from '../../webview/shared/messages.js';
import type { FollowMode } from '../presence/follow-mode.js';
import { presenceLocation } from '../presence/presence-location.js';
import { connectionView } from '../status/teammate-words.js';
import { summariseConnections } from '../../protocol/runtime/index.js';
import type { ShareSession } from '../session/share-session.js';
import type { PanelModel } from './panel.js';

export function sessionPanelModel(session: ShareSession, followMode: FollowMode): PanelModel {
  const replica = session.replica;
  return {
    state(): PanelState {
      const status = session.runtime.status();
      const here = new Map(session.runtime.presence().map((p) => [p.memberHex, p]));
      const reached = new Map(status.teammates.map((t) => [t.member, t]));
      const members: MemberView[] = [...replica.members()].map(([hex, m]) => {
        const key = fromHex(hex);
        const p = here.get(hex);
        const you = hex === replica.meHex;
        // A name an admin gave wins; the owner (whom nobody names) shows the display name of their signed presence.
        const named = m.name && !(m.role === 'owner' && m.name === 'owner') ? m.name : p?.presence.name || m.name;
        const view: MemberView = { key: publicKeyToText(key), fingerprint: fingerprint(key), name: named || fingerprint(key), role: m.role, you, online: you || p !== undefined };
        // line is 0-based here; the panel shows it 1-based.
        const at = p && presenceLocation(replica, p.presence);
        if (at) view.location = { path: at.path, line: at.line };
        const teammate = you ? undefined : reached.get(hex);
        if (teammate) view.connection = connectionView(teammate);
        return view;
      });
      const parts = [`${status.brokers} broker${status.brokers === 1 ? '' : 's'}`, `${status.peers} peer${status.peers === 1 ? '' : 's'} connected`];
      const teammates = summariseConnections(status.teammates);
      if (teammates) parts.push(`teammates: ${teammates}`);
      if (status.syncing) parts.push(`catching up with ${status.syncing}`);
      const connection = status.brokers + status.peers === 0 ? 'offline: your changes are kept and merge when you reconnect' : parts.join(', ');
      const refusals = [...session.refusals].reverse().map((r) => ({ author: r.authorName, reason: r.reason, detail: r.detail, at: r.at }));
      const b = session.branch();
      const branch = b && { follows: b.follows, ...(b.away ? { away: b.away } : {}) };
      return { shareName: replica.name, myKey: publicKeyToText(replica.me.publicKey), myRole: replica.myRole(), invitation: session.invitation(), connection, members, refusals, ...(branch ? { branch } : {}) };
    },
    onDidChange: (listener) => session.onDidChange(listener),
    async grant(keyText: string, role: GrantableRole, name: string) {
      replica.grant(publicKeyFromText(keyText), role, name);
      await session.commits.flush();
    },
    async changeRole(keyText: string, role: GrantableRole) {
      const key = publicKeyFromText(keyText);
      replica.grant(key, role, replica.members().get(toHex(key))?.name ?? '');
      await session.commits.flush();
    },
    async revoke(keyText: string) {
      replica.revoke(publicKeyFromText(keyText));
      await session.commits.flush();
    },
    async follow(keyText: string) {
      await followMode.start(session, toHex(publicKeyFromText(keyText)));
    },
    async copyInvitation() {
      await vscode.env.clipboard.writeText(session.invitation());
      void vscode.window.showInformationMessage('Weft: the invitation is on the clipboard.');
    },
  };
}
