import { mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as topology from '../engine/partitioned-run';
import { parseRuleSet } from '../engine/rule-validation';
import { parseFixture } from './fixture-file';
import { compare, ExitCode, formatReport, runRulesCheck, type RulesCheckReport } from './rules-check';

// Issue 19 item 5: every rule of the shipped file has a firing fixture and a near miss, run through
// the production path (contracts decode, user -> IP -> global stages, SECURITY_ALERT out); the
// same function backs `npm run monitor:test-rules`, so a changed rules file is tested before it loads.
const RULES_DIR = path.join(__dirname, '..', '..', 'rules');
const RULES_FILE = path.join(RULES_DIR, 'default.rules.json');
const FIXTURES_DIR = path.join(RULES_DIR, 'fixtures');

const failures = (r: RulesCheckReport) =>
  r.cases.filter((c) => c.status === 'fail').map((c) => `${c.rule} "${c.case}": ${c.problems.join('; ')}`);

/** A scratch copy of the default rules, changed by `edit`, and of the fixtures. */
function scratch(edit: (rules: { rules: Array<Record<string, unknown>> }) => void): {
  rulesFile: string;
  fixtures: string;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-rules-check-'));
  const rules = JSON.parse(readFileSync(RULES_FILE, 'utf8'));
  edit(rules);
  const rulesFile = path.join(dir, 'changed.rules.json');
  writeFileSync(rulesFile, JSON.stringify(rules));
  const fixtures = path.join(dir, 'fixtures');
  mkdirSync(fixtures);
  for (const f of readdirSync(FIXTURES_DIR)) copyFileSync(path.join(FIXTURES_DIR, f), path.join(fixtures, f));
  return { rulesFile, fixtures };
}
const ruleIn = (rules: { rules: Array<Record<string, unknown>> }, id: string) =>
  rules.rules.find((r) => r.id === id)!;

describe('monitor:test-rules: the shipped rules against their fixtures', () => {
  let report: RulesCheckReport;
  beforeAll(() => {
    report = runRulesCheck({ rulesFile: RULES_FILE, fixtures: [FIXTURES_DIR] });
  });

  it('seeds 000-18, 000-19, 000-20, 000-21, 001-32..60, 002-10, 002-11, 003-05, 003-18..20, 004-48, 004-49: every enabled rule of the default rules file has a fixture file with a "fires" and a "near-miss" case', () => {
    const rules = parseRuleSet(readFileSync(RULES_FILE, 'utf8')).rules.filter((r) => r.enabled);
    const lacking = rules.flatMap((r) => {
      let kinds: string[];
      try {
        kinds = parseFixture(
          readFileSync(path.join(FIXTURES_DIR, `${r.id}.json`), 'utf8'),
          `${r.id}.json`,
        ).cases.map((c) => c.kind);
      } catch (err) {
        return [`${r.id}: ${(err as Error).message}`];
      }
      return ['fires', 'near-miss'].filter((k) => !kinds.includes(k)).map((k) => `${r.id}: no "${k}" case`);
    });
    expect(lacking).toEqual([]);
    expect(report.coverage).toEqual([]);
  });

  it('every case passes through the production path (decode, stages on 2 partitions, published SECURITY_ALERT): the check exits 0', () => {
    expect(report.errors).toEqual([]);
    expect(failures(report)).toEqual([]);
    expect(report.summary.failed).toBe(0);
    expect(report.exitCode).toBe(ExitCode.PASS);
    // Every fires case saw its rule fire, every near miss saw it stay silent, as published.
    for (const c of report.cases) {
      if (c.kind === 'fires') expect(c.firings.length).toBeGreaterThan(0);
      else expect(c.firings).toEqual([]);
    }
  });

  it('seed 000-18: a per-IP and a global rule fire on the key the SOC sees (the IP, *), with the count of events', () => {
    const stuffing = report.cases.find((c) => c.rule === 'credential-stuffing-per-ip' && c.kind === 'fires')!;
    expect(stuffing.firings).toEqual([expect.objectContaining({ key: '203.0.113.5', count: 15 })]);
    const global = report.cases.find(
      (c) => c.rule === 'failed-logins-global-1m-warning' && c.kind === 'fires',
    )!;
    expect(global.firings).toEqual([expect.objectContaining({ key: '*', count: 51 })]);
  });

  it('the report: one line per case, then a summary', () => {
    const text = formatReport(report).split('\n');
    expect(text).toHaveLength(report.cases.length + 1);
    expect(text).toContain(
      'PASS  failed-logins-per-user-1m-warning  "six failures for one account within a minute (seed 001-36)" (fires)',
    );
    expect(text.at(-1)).toMatch(
      new RegExp(
        `^${report.cases.length} case\\(s\\) over \\d+ rule\\(s\\) of .*: ${report.cases.length} passed, 0 failed, 0 skipped; 0 rule\\(s\\)`,
      ),
    );
  });
});

describe('monitor:test-rules: a changed rules file is tested before it is loaded', () => {
  it('seed 001-36: the warning threshold raised to 6 -> its "fires" case fails, named by rule and case, exit 1', () => {
    const s = scratch((rules) => {
      const r = ruleIn(rules, 'failed-logins-per-user-1m-warning');
      r.condition = { kind: 'count', gt: 6 };
      r.version = 2;
    });
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures] });
    expect(r.exitCode).toBe(ExitCode.FAILED);
    expect(failures(r)).toEqual([
      'failed-logins-per-user-1m-warning "six failures for one account within a minute (seed 001-36)": expected 1 firing alert(s) [alice count 6], got 0 [none]',
    ]);
    expect(formatReport(r)).toContain(
      'FAIL  failed-logins-per-user-1m-warning  "six failures for one account within a minute (seed 001-36)" (fires): expected 1 firing alert(s) [alice count 6], got 0 [none]',
    );
  });

  it('seed 001-36: the threshold lowered to 4 -> the near misses of 5 fire, exit 1', () => {
    const s = scratch((rules) => {
      ruleIn(rules, 'failed-logins-per-user-1m-warning').condition = { kind: 'count', gt: 4 };
    });
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures] });
    expect(r.exitCode).toBe(ExitCode.FAILED);
    expect(failures(r)).toContain(
      'failed-logins-per-user-1m-warning "five failures within a minute": expected 0 firing alert(s) [none], got 1 [alice count 5]',
    );
  });

  it('seed 000-18: what a firing case would do is shown: dry-run as shipped; a response switched on builds its SECURITY_ACTION', () => {
    const shipped = runRulesCheck({
      rulesFile: RULES_FILE,
      fixtures: [path.join(FIXTURES_DIR, 'credential-stuffing-per-ip.json')],
      allowMissing: true,
    });
    expect(shipped.cases.find((c) => c.kind === 'fires')!.responses).toEqual([
      '[dry-run: would BLOCK_IP 203.0.113.5 for 3600s]',
    ]);
    const s = scratch((rules) => {
      ruleIn(rules, 'credential-stuffing-per-ip').response = {
        action: 'BLOCK_IP',
        ttlSeconds: 600,
        enabled: true,
        dryRun: false,
      };
    });
    const r = runRulesCheck({
      rulesFile: s.rulesFile,
      fixtures: [path.join(s.fixtures, 'credential-stuffing-per-ip.json')],
      allowMissing: true,
    });
    expect(failures(r)).toEqual([]);
    expect(r.cases.find((c) => c.kind === 'fires')!.responses).toEqual([
      '[response: BLOCK_IP 203.0.113.5 for 600s]',
    ]);
    expect(formatReport(r)).toContain(
      'PASS  credential-stuffing-per-ip  "one IP failing once on each of 15 accounts within 10 minutes (seed 000-18)" (fires) [response: BLOCK_IP 203.0.113.5 for 600s]',
    );
    expect(r.cases.filter((c) => c.kind === 'near-miss').every((c) => c.responses.length === 0)).toBe(true);
  });

  it('a rule disabled in the file: its cases are skipped, not failed, and it needs no fixture', () => {
    const s = scratch((rules) => {
      ruleIn(rules, 'password-spraying-per-ip').enabled = false;
    });
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures] });
    expect(r.exitCode).toBe(ExitCode.PASS);
    const skipped = r.cases.filter((c) => c.status === 'skip');
    expect(skipped.map((c) => c.rule)).toEqual([
      'password-spraying-per-ip',
      'password-spraying-per-ip',
      'password-spraying-per-ip',
    ]);
    expect(formatReport(r)).toContain('SKIP  password-spraying-per-ip');
  });

  it('a new rule without a fixture fails the check (exit 1, MISSING) unless --allow-missing', () => {
    const s = scratch((rules) => {
      rules.rules.push({ ...ruleIn(rules, 'failed-logins-per-user-10m'), id: 'failed-logins-per-user-30m' });
    });
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures] });
    expect(r.exitCode).toBe(ExitCode.FAILED);
    expect(r.coverage).toEqual([
      {
        rule: 'failed-logins-per-user-30m',
        problem: 'no fixture file (rules/fixtures/failed-logins-per-user-30m.json)',
      },
    ]);
    expect(formatReport(r)).toContain(
      'MISSING  failed-logins-per-user-30m: no fixture file (rules/fixtures/failed-logins-per-user-30m.json)',
    );
    expect(
      runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures], allowMissing: true }).exitCode,
    ).toBe(ExitCode.PASS);
  });

  it('a fixture with only a fires case is reported as lacking its near miss', () => {
    const s = scratch(() => undefined);
    const file = path.join(s.fixtures, 'refresh-token-reuse.json');
    const f = JSON.parse(readFileSync(file, 'utf8'));
    f.cases = f.cases.filter((c: { kind: string }) => c.kind === 'fires');
    writeFileSync(file, JSON.stringify(f));
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures] });
    expect(r.exitCode).toBe(ExitCode.FAILED);
    expect(r.coverage).toEqual([{ rule: 'refresh-token-reuse', problem: `no "near-miss" case in ${file}` }]);
  });
});

describe('monitor:test-rules: bad input is refused, nothing runs (exit 2)', () => {
  it('a rules file the service would refuse: the same problems, named by rule and field', () => {
    const s = scratch((rules) => {
      ruleIn(rules, 'credential-stuffing-per-ip').severity = 'severe';
    });
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures] });
    expect(r.exitCode).toBe(ExitCode.BAD_INPUT);
    expect(r.cases).toEqual([]);
    expect(r.errors).toEqual([
      `rules file ${s.rulesFile}: rule credential-stuffing-per-ip.severity: one of critical, high, medium, low, info`,
    ]);
    expect(runRulesCheck({ rulesFile: '/nonexistent/rules.json', fixtures: [s.fixtures] }).errors).toEqual([
      'rules file /nonexistent/rules.json: /nonexistent/rules.json: cannot be read (ENOENT)',
    ]);
  });

  it('a malformed fixture, a fixture for an unknown rule, a missing path: every problem listed', () => {
    const s = scratch(() => undefined);
    const bad = path.join(s.fixtures, 'admin-role-granted.json');
    const f = JSON.parse(readFileSync(bad, 'utf8'));
    delete f.cases[0].kind;
    writeFileSync(bad, JSON.stringify(f));
    writeFileSync(
      path.join(s.fixtures, 'no-such-rule.json'),
      JSON.stringify({
        rule: 'no-such-rule',
        cases: [
          { name: 'x', kind: 'near-miss', events: [{ at: 0, type: 'AUTH_LOGIN', userId: 'u' }], expect: [] },
        ],
      }),
    );
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [s.fixtures, '/nonexistent/fixtures'] });
    expect(r.exitCode).toBe(ExitCode.BAD_INPUT);
    expect(r.cases).toEqual([]);
    expect(r.errors).toEqual([
      '/nonexistent/fixtures: no such file or directory',
      `${bad}: case "admin granted to an account (seeds 000-21, 004-49)".kind: "fires" or "near-miss"`,
      `${path.join(s.fixtures, 'no-such-rule.json')}.rule: no rule no-such-rule in ${s.rulesFile}`,
    ]);
    expect(formatReport(r).split('\n')[0]).toBe('rules check: bad input, nothing ran (3 problem(s)):');
  });

  it('an event the contracts refuse makes the fixture malformed', () => {
    const s = scratch(() => undefined);
    const file = path.join(s.fixtures, 'token-validation-failures-per-ip.json');
    const f = JSON.parse(readFileSync(file, 'utf8'));
    f.cases[0].events[0].attributes = { failure: 'not_a_failure_kind' };
    writeFileSync(file, JSON.stringify(f));
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [file] });
    expect(r.exitCode).toBe(ExitCode.BAD_INPUT);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /token-validation-failures-per-ip\.json: case "six forged tokens from one IP within 10 minutes \(seed 003-19\)"\.events\[0\] \(repeat 0\): refused by the contracts \(schema_violation\): attributes\.failure/,
      ),
    ]);
  });
});

describe('monitor:test-rules: nothing sensitive in the report', () => {
  it('issue 19 item 1: a failed-password fingerprint in a fixture never reaches the report, text or JSON, whatever the verdict', () => {
    const FINGERPRINT = '20456.c2VjcmV0LWZpbmdlcnByaW';
    const s = scratch(() => undefined);
    const file = path.join(s.fixtures, 'failed-logins-per-ip-1h.json');
    const f = JSON.parse(readFileSync(file, 'utf8'));
    for (const c of f.cases)
      for (const e of c.events) e.attributes = { ...e.attributes, passwordFingerprint: FINGERPRINT };
    f.cases[0].expect = [{ status: 'firing', key: 'not-the-ip' }];
    writeFileSync(file, JSON.stringify(f));
    const r = runRulesCheck({ rulesFile: s.rulesFile, fixtures: [file], allowMissing: true });
    // The fingerprint is valid per the contracts: the events decode, the cases run, one fails.
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(ExitCode.FAILED);
    expect(formatReport(r)).toContain('firing #1: expected key not-the-ip, got 198.51.100.77');
    expect(formatReport(r)).not.toContain(FINGERPRINT);
    expect(JSON.stringify(r)).not.toContain(FINGERPRINT);
  });
});

describe('monitor:test-rules: a run the topology cannot carry', () => {
  afterEach(() => jest.restoreAllMocks());

  it('fails the case with the reason (exit 1) instead of stopping the check', () => {
    jest.spyOn(topology, 'runPartitioned').mockImplementation(() => {
      throw new topology.TopologyWireError('forwarded event refused by the decoder (schema_violation): type');
    });
    const r = runRulesCheck({
      rulesFile: RULES_FILE,
      fixtures: [path.join(FIXTURES_DIR, 'refresh-token-reuse.json')],
      allowMissing: true,
    });
    expect(r.exitCode).toBe(ExitCode.FAILED);
    expect(failures(r)[0]).toBe(
      'refresh-token-reuse "a rotated-out refresh token presented again (seed 000-20)": the run failed: forwarded event refused by the decoder (schema_violation): type',
    );
  });
});

describe('comparing firing alerts with expect', () => {
  const c = (expect: Array<{ key: string; count?: number }>) => ({
    name: 'c',
    kind: 'fires' as const,
    events: [],
    expect: expect.map((x) => ({ status: 'firing' as const, ...x })),
  });
  const at = '2026-01-05T10:00:00.000Z';

  it('order, key and (when given) count must agree', () => {
    expect(
      compare(c([{ key: 'a' }, { key: 'b', count: 2 }]), [
        { key: 'a', count: 9, at },
        { key: 'b', count: 2, at },
      ]),
    ).toEqual([]);
    expect(
      compare(c([{ key: 'a' }, { key: 'b' }]), [
        { key: 'b', count: 1, at },
        { key: 'a', count: 1, at },
      ]),
    ).toEqual(['firing #1: expected key a, got b', 'firing #2: expected key b, got a']);
    expect(compare(c([{ key: 'a', count: 6 }]), [{ key: 'a', count: 7, at }])).toEqual([
      'firing #1 (a): expected count 6, got 7',
    ]);
    expect(compare(c([{ key: 'a' }]), [])).toEqual(['expected 1 firing alert(s) [a], got 0 [none]']);
  });
});
