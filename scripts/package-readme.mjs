// The README packaged into the .vsix: README.md without its screenshots, and with links to
// files of the repository as plain paths. The marketplace only shows images from an https
// address (the public repository's), and vsce refuses relative images and links without a
// repository URL, which this project does not have yet.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const text = readFileSync('README.md', 'utf8')
  .replace(/^!\[[^\]]*\]\([^)]*\)\n\n?/gm, '')
  .replace(/\[([^\]]*)\]\((?!https?:|mailto:|#)([^)]*)\)/g, (_, label, target) => (label === target ? `\`${target}\`` : `${label} (\`${target}\`)`));
mkdirSync('dist', { recursive: true });
writeFileSync('dist/README.md', text);
