/**
 * The presence and access panel: members (role, online, where they are, how they are
 * connected, last seen), grant / change role / revoke for those allowed, and the
 * invitation. Renders from the state the extension posts; sends typed requests back.
 */
import type { FromPanel, GrantableRole, MemberView, PanelState, ToPanel } from '../shared/messages.js';

declare function acquireVsCodeApi(): { postMessage(msg: FromPanel): void };
const vscode = acquireVsCodeApi();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { text?: string; cls?: string; title?: string } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.text !== undefined) e.textContent = props.text;
  if (props.cls) e.className = props.cls;
  if (props.title) e.title = props.title;
  e.append(...children);
  return e;
}

function button(label: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = el('button', { text: label, cls });
  b.addEventListener('click', onClick);
  return b;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function roleSelect(current: GrantableRole): HTMLSelectElement {
  const s = el('select');
  for (const r of ['writer', 'reader', 'admin'] as const) {
    const o = el('option', { text: r });
    o.value = r;
    o.selected = r === current;
    s.append(o);
  }
  return s;
}

function memberRow(m: MemberView, canAdmin: boolean): HTMLElement {
  const status = el('span', { cls: `dot ${m.online ? 'online' : 'offline'}`, title: m.online ? 'online' : 'offline' });
  const name = el('span', { text: m.you ? `${m.name} (you)` : m.name, cls: 'name', title: `${m.key}\nfingerprint ${m.fingerprint}` });
  const details: string[] = [];
  if (m.online && m.location) details.push(`${m.location.path}:${m.location.line + 1}`);
  if (m.online && m.connection) details.push(m.connection.text);
  if (!m.online && m.lastSeen) details.push(`seen ${ago(m.lastSeen)}`);
  const row = el('li', { cls: 'member' }, status, name, el('span', { text: m.role, cls: `role role-${m.role}` }), el('span', { text: details.join(' · '), cls: `where${m.connection ? ` connection-${m.connection.how}` : ''}` }));
  const actions = el('span', { cls: 'actions' });
  if (m.online && !m.you) actions.append(button('Follow', () => vscode.postMessage({ type: 'follow', key: m.key }), 'secondary'));
  if (canAdmin && !m.you && m.role !== 'owner') {
    const sel = roleSelect(m.role as GrantableRole);
    sel.addEventListener('change', () => vscode.postMessage({ type: 'changeRole', key: m.key, role: sel.value as GrantableRole }));
    actions.append(sel, button('Revoke', () => vscode.postMessage({ type: 'revoke', key: m.key }), 'danger'));
  }
  row.append(actions);
  return row;
}

function grantForm(): HTMLElement {
  const key = el('input');
  key.placeholder = 'weft1… public key of a teammate';
  key.id = 'grant-key';
  const name = el('input');
  name.placeholder = 'name (optional)';
  name.id = 'grant-name';
  const role = roleSelect('writer');
  const submit = button('Grant access', () => {
    if (!key.value.trim()) return;
    vscode.postMessage({ type: 'grant', key: key.value.trim(), role: role.value as GrantableRole, name: name.value.trim() });
    key.value = '';
    name.value = '';
  });
  return el('div', { cls: 'grant' }, el('h3', { text: 'Grant access' }), key, name, role, submit);
}

function render(state: PanelState | undefined): void {
  const root = document.getElementById('root')!;
  root.replaceChildren();
  if (!state) {
    root.append(el('p', { text: 'This folder is not shared. Run “Weft: Share This Folder” or “Weft: Join…”.', cls: 'empty' }));
    return;
  }
  const canAdmin = state.myRole === 'owner' || state.myRole === 'admin';
  root.append(el('h2', { text: state.shareName }), el('p', { text: state.connection, cls: 'connection' }));
  if (state.branch) {
    const b = state.branch;
    root.append(el('p', { text: b.away ? `Away: your checkout is on ${b.away}; the share follows ${b.follows}. Check out ${b.follows} to share again.` : `Follows the Git branch ${b.follows}.`, cls: b.away ? 'away' : 'branch' }));
  }
  const online = state.members.filter((m) => m.online);
  const offline = state.members.filter((m) => !m.online);
  root.append(el('ul', { cls: 'members' }, ...online.map((m) => memberRow(m, canAdmin)), ...offline.map((m) => memberRow(m, canAdmin))));
  if (state.refusals.length) {
    root.append(
      el('h3', { text: 'Refused' }),
      el('ul', { cls: 'refusals' }, ...state.refusals.map((r) => el('li', { text: `${r.author}: ${r.detail} (${r.reason}, ${ago(r.at)})` }))),
    );
  }
  if (canAdmin) root.append(grantForm());
  if (state.invitation) {
    const inv = el('code', { text: state.invitation, cls: 'invitation' });
    root.append(el('div', { cls: 'invite' }, el('h3', { text: 'Invitation' }), inv, button('Copy invitation', () => vscode.postMessage({ type: 'copyInvitation' }))));
  }
  root.append(el('p', { text: `Your key: ${state.myKey}`, cls: 'mykey' }));
}

window.addEventListener('message', (ev: MessageEvent<ToPanel>) => {
  const msg = ev.data;
  if (msg.type === 'state') render(msg.state);
  else if (msg.type === 'error') {
    const root = document.getElementById('root')!;
    root.prepend(el('p', { text: msg.message, cls: 'error' }));
  }
});
vscode.postMessage({ type: 'ready' });
