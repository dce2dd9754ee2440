/**
 * The panel's HTML: a strict Content Security Policy (no inline script or style except
 * through the per-load nonce; resources only from the webview's own resource roots).
 * No vscode import: unit-tested in plain mocha.
 */
export interface PanelHtmlInit {
  /** The webview's cspSource (e.g. https://*.vscode-cdn.net). */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function panelHtml(init: PanelHtmlInit): string {
  const csp = [`default-src 'none'`, `img-src ${init.cspSource} data:`, `style-src ${init.cspSource}`, `font-src ${init.cspSource}`, `script-src 'nonce-${init.nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(init.styleUri)}">
<title>Weft</title>
</head>
<body>
<div id="root"><p class="empty">Loading…</p></div>
<script nonce="${attr(init.nonce)}" src="${attr(init.scriptUri)}"></script>
</body>
</html>`;
}

/** A nonce for one load of the panel: 32 random base64 characters. */
export function makeNonce(random: (n: number) => Uint8Array): string {
  return Buffer.from(random(24)).toString('base64');
}
