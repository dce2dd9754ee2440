/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name>` runs one.
 * Each benchmark is bench/<name>.ts exporting `run(): Promise<void>`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printMachine } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !['run.js', 'report.js'].includes(f) && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : all;
printMachine();
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}"; have: ${all.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== ${name} ==`);
  const mod = (await import(join(here, `${name}.js`))) as { run: () => Promise<void> };
  await mod.run();
}
