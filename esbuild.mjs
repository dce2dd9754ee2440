// Bundles the extension (CommonJS for the VS Code extension host, `vscode` external)
// and the webview (browser IIFE). `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
  },
  {
    entryPoints: ['webview/panel/panel.css'],
    outfile: 'dist/webview/panel.css',
    bundle: true,
    minify: production,
    logLevel: 'warning',
  },
  {
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
    entryPoints: ['test/e2e/host/index.ts'],
    outfile: 'dist/test-host/index.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    sourcemap: true,
    logLevel: 'warning',
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
