/**
 * Typed messages between the extension and the presence/access panel.
 * Both sides import this file; the webview imports nothing else from the extension.
 */
export type Role = 'owner' | 'admin' | 'writer' | 'reader';
export type GrantableRole = Exclude<Role, 'owner'>;

export interface MemberView {
  /** Public key in Weft's textual form (weft1...). */
  key: string;
  fingerprint: string;
  name: string;
  role: Role;
  /** This is the user of this VS Code. */
  you: boolean;
  online: boolean;
  /** File and line the member is at, when online. */
  location?: { path: string; line: number };
  /** How this VS Code reaches the member, when online and not you: the words of `weft peer status`. */
  connection?: { how: 'direct' | 'relayed' | 'none'; text: string };
  /** Milliseconds since the epoch. */
  lastSeen?: number;
}

/** A teammate's commit this member's Weft refused, and why (a protected path, a revoked author, ...). */
export interface RefusalView {
  /** The author's name as the share knows it. */
  author: string;
  reason: string;
  detail: string;
  /** Milliseconds since the epoch. */
  at: number;
}

export interface PanelState {
  shareName: string;
  myKey: string;
  myRole: Role | undefined;
  invitation?: string;
  /** e.g. "2 brokers, 1 peer online", "offline (changes are kept)" */
  connection: string;
  members: MemberView[];
  /** The latest refusals, newest first. */
  refusals: RefusalView[];
  /** The Git branch the share follows, and the one this checkout is on while away from it. */
  branch?: { follows: string; away?: string };
}

/** Extension -> webview. */
export type ToPanel = { type: 'state'; state: PanelState | undefined } | { type: 'error'; message: string };

/** Webview -> extension. */
export type FromPanel =
  | { type: 'ready' }
  | { type: 'grant'; key: string; role: GrantableRole; name: string }
  | { type: 'changeRole'; key: string; role: GrantableRole }
  | { type: 'revoke'; key: string }
  | { type: 'follow'; key: string }
  | { type: 'copyInvitation' };

export function isFromPanel(m: unknown): m is FromPanel {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  const roles = ['admin', 'writer', 'reader'];
  const o = m as Record<string, unknown>;
  switch (t) {
    case 'ready':
    case 'copyInvitation':
      return true;
    case 'grant':
      return typeof o.key === 'string' && typeof o.name === 'string' && roles.includes(o.role as string);
    case 'changeRole':
      return typeof o.key === 'string' && roles.includes(o.role as string);
    case 'revoke':
    case 'follow':
      return typeof o.key === 'string';
    default:
      return false;
  }
}
