/**
 * What the status bar item says, from the sessions' state: teammates online and how they
 * are connected (direct, relayed, not connected), brokers, sync, read-only, away from the
 * share's branch; the tooltip has a line per share and one per teammate. No vscode
 * import: unit-tested in plain mocha.
 */
import { summariseConnections, type PeerStatus } from '../../protocol/runtime/index.js';
import { connectionView } from './teammate-words.js';

export interface SessionStatusInput {
  /** The share's name. */
  name: string;
  status: PeerStatus;
  /** Teammates present (presence), whether or not we hold a connection to them. */
  online: number;
  reader: boolean;
  branch?: { follows: string; away?: string | undefined };
}

export interface StatusBarView {
  text: string;
  tooltip: string;
}

export function statusBarView(sessions: readonly SessionStatusInput[]): StatusBarView {
  if (sessions.length === 0) return { text: '$(broadcast) Weft', tooltip: 'Weft: not sharing. Click for status.' };
  let online = 0;
  const brokers = new Set<string>();
  let syncing = 0;
  let waiting = false;
  let reader = false;
  let away: string | undefined;
  for (const s of sessions) {
    away ??= s.branch?.away;
    online += s.online;
    for (const key of s.status.brokerKeys) brokers.add(key);
    syncing += s.status.syncing;
    waiting ||= !s.status.joined;
    reader ||= s.reader;
  }
  const how = summariseConnections(sessions.flatMap((s) => s.status.teammates));
  const icon = waiting ? '$(key)' : syncing ? '$(sync~spin)' : '$(broadcast)';
  const parts = [waiting ? 'waiting for access' : `${online} online${how ? ` (${how})` : ''}`];
  if (brokers.size) parts.push(`${brokers.size} broker${brokers.size === 1 ? '' : 's'}`);
  if (reader) parts.push('read-only');
  if (away) parts.push(`away (on ${away})`);
  return { text: `${icon} Weft: ${parts.join(' · ')}`, tooltip: sessions.map(sessionTooltip).join('\n') };
}

function sessionTooltip(s: SessionStatusInput): string {
  const b = s.branch;
  const git = b ? (b.away ? `, away: on ${b.away}, the share follows ${b.follows}` : `, following branch ${b.follows}`) : '';
  const head = `${s.name}: ${s.status.peers} peer(s), ${s.status.brokers} broker(s), ${s.status.commits} commits${git}`;
  return [head, ...s.status.teammates.map((t) => `  ${t.name}: ${connectionView(t).text}`)].join('\n');
}
