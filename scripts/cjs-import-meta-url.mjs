// Injected into CommonJS bundles (esbuild.mjs) to stand for `import.meta.url`, which
// esbuild leaves empty in CommonJS output: the bundle's own file URL, so a path
// resolved from it is relative to the bundle, as it would be to the module under tsc.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
