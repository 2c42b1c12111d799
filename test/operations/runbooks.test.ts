/**
 * Issue 16 item 6: the runbooks are commands. Every command in a shell code block of docs/runbooks
 * (the routine checks, the incident playbooks and the alert pages) must exist as written: a `vigil`
 * command with those options (and real event types after --action), an `npm run` script, a
 * repository script, a kubectl command naming the manifests' namespace and Deployments, or one of
 * a short list of operator tools. Seed rows: 000-49, 000-50, 000-51, 000-52, 000-54, 002-24..002-38.
 */
import path from 'node:path';
import { runbookCommands } from './support/runbook-commands';
import { checkCommand, cliTree, resolveVigil, ROOT } from './support/runbook-check';

const DIR = path.join(ROOT, 'docs/runbooks');
const commands = runbookCommands(DIR);
const where = (c: { file: string; line: number }) => `${path.relative(ROOT, c.file)}:${c.line}`;

describe('docs/runbooks: every command exists', () => {
  const tree = cliTree();

  it('the pages hold commands (the extraction sees them)', () => {
    expect(commands.length).toBeGreaterThan(60);
    const pages = new Set(commands.map((c) => path.relative(DIR, c.file)));
    for (const page of [
      'daily.md',
      'weekly.md',
      'monthly.md',
      'incidents/first-30-minutes.md',
      'incidents/high-error-rate.md',
      'incidents/credential-abuse.md',
      'incidents/database-compromise.md',
      'incidents/restore.md',
    ])
      expect(pages).toContain(page);
  });

  it('seeds 000-49..000-54, 002-24..002-38: every command in a runbook code block exists as written', () => {
    const problems = commands
      .map((c) => ({ c, problem: checkCommand(tree, c.words) }))
      .filter((x) => x.problem)
      .map(({ c, problem }) => `${where(c)}: ${problem}\n    ${c.text}`);
    expect(problems).toEqual([]);
  });

  it('the checker fails a command that does not exist (it can fail)', () => {
    expect(checkCommand(tree, ['vigil', 'audit', 'serch'])).toMatch(/no such command/);
    expect(checkCommand(tree, ['vigil', 'audit', 'search', '--sinse', '1h'])).toMatch(/no option --sinse/);
    expect(checkCommand(tree, ['vigil', 'audit', 'search', '--action', 'LOGIN_FAILED'])).toMatch(
      /not an event type/,
    );
    expect(checkCommand(tree, ['npm', 'run', 'audit:verfy'])).toMatch(/no such script/);
    expect(checkCommand(tree, ['kubectl', '-n', 'vigil', 'rollout', 'undo', 'deployment/api'])).toMatch(
      /no Deployment api/,
    );
    expect(checkCommand(tree, ['generate_secrets.sh', '--update-env'])).toMatch(/not a command/);
    expect(resolveVigil(tree, ['status', '--json']).problem).toBeUndefined();
  });
});
