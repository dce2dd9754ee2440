// Bundles the extension (CommonJS for the VS Code extension host, `vscode` external),
// the webview (browser IIFE) and the `weft` command (one CommonJS file with every
// dependency, what `npm install -g` installs). `node esbuild.mjs --watch` rebuilds on
// change; `--only NAME` builds one of them (`npm pack` builds only `weft`, so packing
// leaves the extension's development bundles and their source maps as they were).
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
// node-datachannel (WebRTC, loaded only when used) is a native add-on found next to its
// JavaScript at run time: it stays outside every bundle. Where it is not installed, the
// transport runs without WebRTC and says so (protocol/transport/libp2p-transport.ts).
const NATIVE = ['node-datachannel', '@node-datachannel/*'];

/** @type {Array<import('esbuild').BuildOptions & { name: string }>} */
const builds = [
  {
    name: 'extension',
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', ...NATIVE],
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
  },
  {
    name: 'panel-css',
    entryPoints: ['webview/panel/panel.css'],
    outfile: 'dist/webview/panel.css',
    bundle: true,
    minify: production,
    logLevel: 'warning',
  },
  {
    name: 'panel',
    entryPoints: ['webview/panel/main.ts'],
    outfile: 'dist/webview/panel.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
  },
  {
    // The mocha suite that runs inside the real extension host (test/e2e).
    name: 'test-host',
    entryPoints: ['test/e2e/host/index.ts'],
    outfile: 'dist/test-host/index.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha', ...NATIVE],
    sourcemap: true,
    logLevel: 'warning',
  },
  {
    // The installed `weft` command (package.json "bin"). Everything it imports is inside,
    // so an installed package needs no node_modules. bin/weft.ts's `#!/usr/bin/env node`
    // line is kept at the top. No top-level await (CommonJS has none); the libp2p
    // polyfills stay first because the transport's entry modules import them first.
    // bufferutil and utf-8-validate, optional native add-ons of `ws`, are required
    // inside a try: left out, and ws runs without them.
    name: 'weft',
    entryPoints: ['bin/weft.ts'],
    outfile: 'dist/weft.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: { WEFT_BUNDLED_VERSION: JSON.stringify(version), 'import.meta.url': 'importMetaUrl' },
    inject: ['scripts/cjs-import-meta-url.mjs'],
    external: NATIVE,
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  },
];

const selected = builds.filter((b) => onlyAt < 0 || b.name === only);
if (selected.length === 0) throw new Error(`esbuild.mjs: no build named "${only}" (${builds.map((b) => b.name).join(', ')})`);
const options = selected.map(({ name: _name, ...b }) => b);
if (watch) {
  for (const b of options) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(options.map((b) => esbuild.build(b)));
}
