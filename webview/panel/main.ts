import type { FromPanel, PanelState, ToPanel } from '../shared/messages.js';

declare function acquireVsCodeApi(): { postMessage(msg: FromPanel): void };
const vscode = acquireVsCodeApi();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function render(state: PanelState): void {
  const root = document.getElementById('root')!;
  root.replaceChildren();
  root.append(el('h2', state.shareName));
  const list = el('ul', undefined, 'members');
  for (const m of state.members) {
    const li = el('li', undefined, m.online ? 'online' : 'offline');
    li.append(el('span', m.name, 'name'), el('span', m.role, 'role'));
    if (m.location) li.append(el('span', `${m.location.path}:${m.location.line + 1}`, 'where'));
    list.append(li);
  }
  root.append(list);
}

window.addEventListener('message', (ev: MessageEvent<ToPanel>) => {
  const msg = ev.data;
  if (msg.type === 'state') render(msg.state);
});
vscode.postMessage({ type: 'ready' });
