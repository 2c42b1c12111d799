/**
 * Issue 16 item 6: the runbooks' read-only commands run against the running system. Every
 * `vigil` command of docs/runbooks whose command is read-only (status, smoke, searches, reports,
 * lists, verify) is run as written, its <placeholders> filled with this system's values (a user,
 * an IP, an alert id), and must do its job: exit 0, or 1 where the command is a check that found
 * something (a stale backup in `vigil status`, on a system that never took one). Seed rows:
 * 000-49, 000-50, 000-52, 001-10..001-19, 002-27, 002-36.
 */
import path from 'node:path';
import { waitFor } from '@vigil/testing';
import { createUser, adminToken, login } from '../auth-gateway/support/http';
import { count } from '../audit-writer/support';
import { failed } from '../security-monitor/support';
import { runbookCommands, type RunbookCommand } from './support/runbook-commands';
import { cliTree, resolveVigil, ROOT } from './support/runbook-check';
import { startOperationsSystem, type OperationsSystem } from './support/operations-system';

jest.setTimeout(180_000);

/** Read-only commands, with the exit codes that mean "it did its job". */
const READ_ONLY: Record<string, number[]> = {
  status: [0, 1],
  smoke: [0],
  'users show': [0],
  'sessions list': [0],
  'ip list': [0],
  'keys list': [0],
  'maintenance status': [0],
  'log-level get': [0],
  'db stats': [0],
  'db slow-queries': [0],
  'audit search': [0],
  'audit failed-logins': [0],
  'audit verify': [0],
  'alerts tail': [0],
  'alerts show': [0],
  'dlq list': [0],
  'retention report': [0],
  'retention policy': [0],
  'retention hold list': [0],
  'incident timeline': [0],
};

const runbookVigil = (): Array<RunbookCommand & { args: string[]; command: string }> => {
  const tree = cliTree();
  return runbookCommands(path.join(ROOT, 'docs/runbooks')).flatMap((c) => {
    const [head, ...rest] = c.words;
    const args =
      head === 'vigil' || head === 'bin/vigil'
        ? rest
        : head === 'npm' && c.words[2] === 'vigil'
          ? c.words.slice(c.words[3] === '--' ? 4 : 3)
          : undefined;
    if (!args) return [];
    const { path: cmd, problem } = resolveVigil(tree, args);
    return problem ? [] : [{ ...c, args, command: cmd.join(' ') }];
  });
};

describe('docs/runbooks: the read-only commands against the running system', () => {
  let sys: OperationsSystem;
  const values: Record<string, string> = {};

  beforeAll(async () => {
    sys = await startOperationsSystem('runbooks');
    const admin = await adminToken(sys.gw);
    values['<user-id>'] = await createUser(sys.gw, admin, {
      username: 'rita.runbook',
      password: 'Quiet-Harbor-Lantern-47',
    });
    values['<user>'] = 'rita.runbook';
    values['<ip>'] = '203.0.113.77';
    values['<service>'] = 'auth-gateway';
    values['<YYYY-MM-DD>'] = new Date().toISOString().slice(0, 10);
    await login(sys.gw, 'rita.runbook', 'wrong-password', '198.51.100.77');
    expect((await login(sys.gw, 'rita.runbook', 'Quiet-Harbor-Lantern-47', '198.51.100.78')).status).toBe(
      200,
    );
    // Seven failed logins for one account within a minute: the monitor's per-user rule fires.
    const now = Date.now();
    await sys.producer.publish(
      sys.topics.auth,
      Array.from({ length: 7 }, (_, i) =>
        failed(new Date(now - (7 - i) * 100), 'victor@example.com', values['<ip>']),
      ),
    );
    await waitFor(
      async () =>
        (await count(sys.db, sys.writer.schema, `action = 'SECURITY_ALERT'`)) >= 1 &&
        (await count(sys.db, sys.writer.schema, `ip_address = '${values['<ip>']}'`)) >= 7,
      { timeoutMs: 60_000, what: 'an alert and the failures in audit_logs' },
    );
    const alerts = await sys.cli(['--json', 'alerts', 'tail', '--since', '1h', '--limit', '1']);
    const first = JSON.parse(alerts.out.trim().split('\n')[0]) as { attributes: { alertId: string } };
    values['<alert-id>'] = first.attributes.alertId;
  });

  afterAll(async () => {
    await sys?.close();
  });

  it('seeds 000-49, 000-52, 001-10..001-19, 002-27, 002-36: every read-only runbook command does its job', async () => {
    const commands = runbookVigil().filter((c) => c.command in READ_ONLY);
    const results: string[] = [];
    const ran = new Set<string>();
    for (const c of commands) {
      const args = c.args.map((a) => a.replace(/<[^>]+>/g, (p) => values[p] ?? p));
      const unfilled = args.find((a) => /<[^>]+>/.test(a));
      if (unfilled) {
        results.push(`${path.relative(ROOT, c.file)}:${c.line}: no value for ${unfilled}`);
        continue;
      }
      const r = await sys.cli(args);
      ran.add(c.command);
      if (!READ_ONLY[c.command].includes(r.code))
        results.push(
          `${path.relative(ROOT, c.file)}:${c.line}: vigil ${args.join(' ')} exited ${r.code}\n${r.err.slice(0, 500)}`,
        );
      // Whatever it printed, the admin's password is not in it.
      expect(`${r.out}${r.err}`).not.toContain(sys.env.VIGIL_ADMIN_PASSWORD);
    }
    expect(results).toEqual([]);
    // The routine checks and playbooks use most of them: the extraction did find them.
    expect([...ran].sort()).toEqual(
      expect.arrayContaining([
        'status',
        'smoke',
        'audit search',
        'audit verify',
        'db stats',
        'incident timeline',
      ]),
    );
    expect(commands.length).toBeGreaterThan(25);
  });
});
