// The README packaged into the .vsix: README.md without its screenshots. The marketplace
// only shows images from an https address (the public repository's), and vsce refuses
// relative ones without a repository URL, which this project does not have yet.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const text = readFileSync('README.md', 'utf8').replace(/^!\[[^\]]*\]\([^)]*\)\n\n?/gm, '');
mkdirSync('dist', { recursive: true });
writeFileSync('dist/README.md', text);
