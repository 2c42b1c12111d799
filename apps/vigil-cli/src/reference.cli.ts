/** `npm run docs:cli`: writes docs/cli.md from the CLI's own help (see reference.ts). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './config';
import { cliReference } from './reference';

const root = repoRoot();
if (!root) throw new Error('not inside the Vigil repository');
const file = path.join(root, 'docs', 'cli.md');
writeFileSync(file, cliReference());
console.error(`wrote ${path.relative(process.cwd(), file)}`);
