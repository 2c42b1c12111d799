import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCliArgs, UsageError } from './rules-check.cli';

// `npm run monitor:test-rules` as an analyst runs it: a child process, its exit code and output.
const ROOT = path.join(__dirname, '..', '..', '..', '..');
const RULES = path.join(ROOT, 'apps/security-monitor/rules/default.rules.json');
const FIXTURES = path.join(ROOT, 'apps/security-monitor/rules/fixtures');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ['-r', './tools/ts-register.js', 'apps/security-monitor/src/rules-check/rules-check.cli.ts', ...args],
    { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npm run monitor:test-rules (child process)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-test-rules-cli-'));
  const FINGERPRINT = '20456.c2VjcmV0LWZpbmdlcnByaW';

  it('seed 001-36: the defaults pass (exit 0); a rules file with the warning threshold raised fails its "fires" case (exit 1), named by rule and case', () => {
    const ok = cli([]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(
      /\n\d+ case\(s\) over \d+ rule\(s\) of apps\/security-monitor\/rules\/default\.rules\.json: \d+ passed, 0 failed, 0 skipped; 0 rule\(s\) without a fires and a near-miss case\n$/,
    );

    const rules = JSON.parse(readFileSync(RULES, 'utf8'));
    rules.rules.find((r: { id: string }) => r.id === 'failed-logins-per-user-1m-warning').condition.gt = 6;
    const changed = path.join(dir, 'raised.rules.json');
    writeFileSync(changed, JSON.stringify(rules));
    // RULES_FILE is the default rules file, as for the service.
    const failed = cli([], { RULES_FILE: changed });
    expect(failed.code).toBe(1);
    expect(failed.out).toContain(
      'FAIL  failed-logins-per-user-1m-warning  "six failures for one account within a minute (seed 001-36)" (fires): expected 1 firing alert(s) [alice count 6], got 0 [none]',
    );
    expect(failed.out).toMatch(/: \d+ passed, 1 failed, 0 skipped;/);
  });

  it('a malformed fixture: exit 2, the problem named on stderr; --json gives the same verdict for machines; a bad option is a usage error', () => {
    const fixtures = path.join(dir, 'fixtures');
    mkdirSync(fixtures);
    const file = path.join(fixtures, 'failed-logins-per-ip-1h.json');
    copyFileSync(path.join(FIXTURES, 'failed-logins-per-ip-1h.json'), file);
    const f = JSON.parse(readFileSync(file, 'utf8'));
    f.cases[1].events[0].repeat = 0;
    f.cases[1].events[0].attributes = { passwordFingerprint: FINGERPRINT };
    writeFileSync(file, JSON.stringify(f));
    const bad = cli(['--rules', RULES, file]);
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(bad.err).toContain(
      `${file}: case "ten failures from one IP within an hour".events[0].repeat: an integer 1..10000`,
    );
    expect(bad.err + bad.out).not.toContain(FINGERPRINT);

    const json = cli(['--json', '--allow-missing', path.join(FIXTURES, 'failed-logins-per-ip-1h.json')]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({ exitCode: 0, errors: [], summary: { failed: 0, passed: 3 } });
    expect(report.cases[0]).toMatchObject({
      rule: 'failed-logins-per-ip-1h',
      kind: 'fires',
      status: 'pass',
      firings: [{ key: '198.51.100.77', count: 11 }],
    });

    const usage = cli(['--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('unknown option --bogus');
  });
});

describe('monitor:test-rules arguments', () => {
  it('defaults: RULES_FILE else the shipped file, the shipped fixtures dir, the service defaults for time', () => {
    expect(parseCliArgs([], {})).toEqual({
      rulesFile: 'apps/security-monitor/rules/default.rules.json',
      fixtures: ['apps/security-monitor/rules/fixtures'],
      engine: {},
      allowMissing: false,
      json: false,
      help: false,
    });
    expect(parseCliArgs([], { RULES_FILE: '/etc/vigil/rules.json' }).rulesFile).toBe('/etc/vigil/rules.json');
    expect(
      parseCliArgs(['--rules=a.json', 'x.json', 'dir', '--json', '--allow-missing'], { RULES_FILE: 'b' }),
    ).toMatchObject({ rulesFile: 'a.json', fixtures: ['x.json', 'dir'], json: true, allowMissing: true });
  });

  it("the deployment's lateness and update interval apply; a bad value or option is a usage error", () => {
    expect(
      parseCliArgs([], { MONITOR_ALLOWED_LATENESS_SECONDS: '5', MONITOR_UPDATE_INTERVAL_SECONDS: '60' })
        .engine,
    ).toEqual({ allowedLatenessMs: 5000, updateIntervalMs: 60_000 });
    expect(() => parseCliArgs([], { MONITOR_ALLOWED_LATENESS_SECONDS: '-1' })).toThrow(
      new UsageError('MONITOR_ALLOWED_LATENESS_SECONDS: an integer 0..3600'),
    );
    expect(() => parseCliArgs(['--rules'], {})).toThrow('--rules needs a file');
    expect(() => parseCliArgs(['-x'], {})).toThrow('unknown option -x');
  });
});
