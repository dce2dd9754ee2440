/**
 * Typed messages between the extension and the presence/access panel.
 * Both sides import this file; the webview imports nothing else from the extension.
 */
export type Role = 'owner' | 'admin' | 'writer' | 'reader';

export interface MemberView {
  /** Public key in Weft's textual form. */
  key: string;
  name: string;
  role: Role;
  online: boolean;
  /** File and line the member is at, when online. */
  location?: { path: string; line: number };
  via?: 'direct' | 'broker';
  lastSeen?: number;
}

export interface PanelState {
  shareName: string;
  myKey: string;
  myRole: Role;
  invitation?: string;
  members: MemberView[];
}

/** Extension -> webview. */
export type ToPanel = { type: 'state'; state: PanelState } | { type: 'error'; message: string };

/** Webview -> extension. */
export type FromPanel =
  | { type: 'ready' }
  | { type: 'grant'; key: string; role: Exclude<Role, 'owner'> }
  | { type: 'revoke'; key: string }
  | { type: 'copyInvitation' };
