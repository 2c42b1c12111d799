import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cliReference } from './reference';

describe('docs/cli.md', () => {
  const page = cliReference();

  it('is what the CLI says of itself (run `npm run docs:cli` after changing a command)', () => {
    const committed = readFileSync(path.join(__dirname, '../../../docs/cli.md'), 'utf8');
    expect(committed).toBe(page);
  });

  it('has a section, with usage, for every command', () => {
    for (const cmd of [
      'status',
      'smoke',
      'audit search',
      'audit verify',
      'retention hold create',
      'keys rotate',
    ])
      expect(page).toContain(`## vigil ${cmd}\n\n\`\`\`text\nUsage: vigil ${cmd}`);
  });
});
