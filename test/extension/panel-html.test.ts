import assert from 'node:assert/strict';
import { makeNonce, panelHtml } from '../../extension/ui/panel-html.js';
import { isFromPanel } from '../../webview/shared/messages.js';

describe('extension/panel HTML and messages', () => {
  it('has a CSP that allows only the nonce-tagged script and the webview resource roots', () => {
    const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/panel.js', styleUri: 'https://x/panel.css', nonce: 'N0NCE' });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-N0NCE'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]!, /nonce="N0NCE"/);
    assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, 'no inline script body');
  });

  it('escapes attribute values', () => {
    const html = panelHtml({ cspSource: 'a', scriptUri: 'x"><script>alert(1)</script>', styleUri: 's', nonce: 'n' });
    assert.doesNotMatch(html, /"><script>alert/);
  });

  it('makes a different nonce each time', () => {
    let i = 0;
    const rand = (n: number) => new Uint8Array(n).fill(i++);
    assert.notEqual(makeNonce(rand), makeNonce(rand));
  });

  it('accepts only well-formed panel messages', () => {
    assert.ok(isFromPanel({ type: 'grant', key: 'weft1abc', role: 'writer', name: '' }));
    assert.ok(isFromPanel({ type: 'ready' }));
    for (const bad of [null, 1, {}, { type: 'grant', key: 'k', role: 'owner', name: '' }, { type: 'revoke' }, { type: 'eval', code: 'x' }]) assert.equal(isFromPanel(bad), false);
  });
});
