// Operations pack (issue 16 items 1 and 2): the Prometheus alert rules for every seed threshold,
// their promtool unit tests (a case that fires and a near miss per alert), the runbook each links
// to, and the Alertmanager routing by SEV level. Real tools: promtool 2.42 and amtool 0.25
// (deploy/local/observability-tools.sh installs them; test/run-tests.sh runs it first).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ALERTMANAGER_CONFIG,
  ALERTMANAGER_DIR,
  PROMETHEUS_CONFIG,
  ROOT,
  RULES_DIR,
  RULE_TESTS_DIR,
  alertRules,
  exportedMetricNames,
  loadYaml,
  markdownAnchors,
  metricNamesIn,
  receiversFor,
  ruleFiles,
  ruleTestFiles,
  ruleUnitTests,
  run,
} from './alerting-support';

const SEV_OF: Record<string, string> = { critical: 'SEV-1', high: 'SEV-2', medium: 'SEV-3' };

describe('Prometheus alert rules (deploy/prometheus/rules)', () => {
  const rules = alertRules();

  it('seed 004-11: promtool check rules accepts every rule file', async () => {
    const { code, output } = await run('promtool', ['check', 'rules', ...ruleFiles()]);
    expect(output).not.toMatch(/FAILED/);
    expect(code).toBe(0);
    for (const file of ruleFiles()) expect(output).toContain(`Checking ${file}`);
  });

  it('seed 004-11: promtool check config accepts prometheus.yml, which sends alerts to Alertmanager and scrapes it', async () => {
    const { code, output } = await run('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
    expect(code).toBe(0);
    expect(output).toContain('SUCCESS');
    const config = loadYaml<{
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      scrape_configs: Array<{ job_name: string }>;
    }>(PROMETHEUS_CONFIG);
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['alertmanager:9093']);
    expect(config.scrape_configs.map((s) => s.job_name)).toEqual(
      expect.arrayContaining([
        'auth-gateway',
        'audit-writer',
        'security-monitor',
        'retention-worker',
        'alertmanager',
      ]),
    );
  });

  it('seed 002-10, 002-11, 002-12, 002-39: promtool test rules passes every unit-test file', async () => {
    const files = ruleTestFiles();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const { code, output } = await run('promtool', ['test', 'rules', ...files], { timeoutMs: 180_000 });
    expect(output).not.toMatch(/FAILED/);
    expect(code).toBe(0);
    expect(output.match(/SUCCESS/g)?.length).toBe(files.length);
  });

  it('seed 002-10: the unit tests can fail: a 5xx page at 50 % instead of 5 % breaks its test', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-rules-mutant-'));
    try {
      for (const f of ['vigil-recording.yml', 'vigil-http.yml'])
        copyFileSync(path.join(RULES_DIR, f), path.join(dir, f));
      const http = path.join(dir, 'vigil-http.yml');
      const original = readFileSync(http, 'utf8');
      const mutant = original.replace(
        'job_route:http_5xx:ratio_rate5m > 0.05',
        'job_route:http_5xx:ratio_rate5m > 0.5',
      );
      expect(mutant).not.toBe(original);
      writeFileSync(http, mutant);
      const testFile = path.join(dir, 'tests', 'vigil-http.test.yml');
      mkdirSync(path.dirname(testFile));
      copyFileSync(path.join(RULE_TESTS_DIR, 'vigil-http.test.yml'), testFile);
      const { code, output } = await run('promtool', ['test', 'rules', testFile], { timeoutMs: 120_000 });
      expect(code).not.toBe(0);
      expect(output).toContain('alertname: VigilHttp5xxRatioCritical');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seed 003-28: every alert has a unit test that fires it and a near miss that does not', () => {
    const tests = ruleUnitTests();
    const missing: string[] = [];
    for (const { alert } of rules) {
      const cases = tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === alert));
      if (!cases.some((c) => (c.exp_alerts ?? []).length > 0)) missing.push(`${alert}: no firing case`);
      if (!cases.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${alert}: no near miss`);
    }
    expect(missing).toEqual([]);
    // Test names carry their seed rows.
    expect(tests.filter((t) => !/^seed \d{3}-\d{2}/.test(t.name ?? '')).map((t) => t.name)).toEqual([]);
  });

  it('seed 000-34, 000-35, 000-36: every alert names its seed rows, a severity with its SEV level and a domain, and says summary, description, runbook_url', () => {
    expect(rules.length).toBeGreaterThanOrEqual(30);
    const problems: string[] = [];
    for (const r of rules) {
      const { seed, severity, sev, domain } = r.labels;
      if (!/^\d{3}-\d{2}( \d{3}-\d{2})*$/.test(seed ?? '')) problems.push(`${r.alert}: seed label "${seed}"`);
      if (!SEV_OF[severity]) problems.push(`${r.alert}: severity "${severity}"`);
      else if (SEV_OF[severity] !== sev) problems.push(`${r.alert}: severity ${severity} but sev ${sev}`);
      if (!['operations', 'security'].includes(domain)) problems.push(`${r.alert}: domain "${domain}"`);
      for (const a of ['summary', 'description', 'runbook_url'])
        if (!r.annotations[a]?.trim()) problems.push(`${r.alert}: no ${a}`);
      if (!/^Vigil[A-Z]\w+$/.test(r.alert)) problems.push(`${r.alert}: name`);
    }
    expect(problems).toEqual([]);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('seed 002-47: every runbook_url is a page and an anchor that exist under docs/runbooks/alerts, and the index lists every alert', () => {
    const problems: string[] = [];
    for (const r of rules) {
      const m = /^docs\/runbooks\/alerts\/([\w-]+\.md)#([\w-]+)$/.exec(r.annotations.runbook_url ?? '');
      if (!m) {
        problems.push(`${r.alert}: runbook_url ${r.annotations.runbook_url}`);
        continue;
      }
      const page = path.join(ROOT, 'docs/runbooks/alerts', m[1]);
      if (!existsSync(page)) problems.push(`${r.alert}: ${m[1]} missing`);
      else if (!markdownAnchors(page).has(m[2])) problems.push(`${r.alert}: #${m[2]} not in ${m[1]}`);
      if (m[2] !== r.alert.toLowerCase()) problems.push(`${r.alert}: anchor ${m[2]} is not the alert's name`);
    }
    expect(problems).toEqual([]);
    const index = readFileSync(path.join(ROOT, 'docs/runbooks/alerts/README.md'), 'utf8');
    expect(
      rules.filter((r) => !index.includes(`| ${r.alert} | ${r.labels.sev} | ${r.labels.seed} |`)),
    ).toEqual([]);
  });

  it('seed 001-29, 002-04: every metric an alert or recording rule reads is exported by a service, Prometheus, Alertmanager or a standard exporter', () => {
    const exported = exportedMetricNames();
    // Sanity: names the services are known to export (seen on a running gateway's /metrics).
    expect([...exported]).toEqual(
      expect.arrayContaining([
        'http_server_request_duration_seconds_bucket',
        'auth_logins_total',
        'db_client_connections_usage',
        'outbox_depth',
      ]),
    );
    // Prometheus's up, Alertmanager's own, a blackbox probe's, cAdvisor's and node_exporter's.
    const external = /^(up|alertmanager_\w+|probe_\w+|container_\w+|node_\w+)$/;
    const groups = ruleFiles().flatMap(
      (f) =>
        loadYaml<{ groups: Array<{ rules: Array<{ expr: string; alert?: string; record?: string }> }> }>(f)
          .groups,
    );
    const recorded = new Set(groups.flatMap((g) => g.rules.map((r) => r.record).filter(Boolean)));
    const unknown: string[] = [];
    for (const rule of groups.flatMap((g) => g.rules)) {
      for (const name of metricNamesIn(rule.expr))
        if (!exported.has(name) && !external.test(name))
          unknown.push(`${rule.alert ?? rule.record}: ${name}`);
      for (const rec of rule.expr.match(/\b[a-z_]+:[a-z0-9_:]+\b/g) ?? [])
        if (!recorded.has(rec))
          unknown.push(`${rule.alert ?? rule.record}: recording rule ${rec} not defined`);
    }
    expect(unknown).toEqual([]);
    expect(metricNamesIn('sum by (job) (increase(auth_logins_total{outcome=~"failure"}[5m])) > 200')).toEqual(
      ['auth_logins_total'],
    );
  });

  it('seed 003-28: every threshold of the seeds that issue 16 names (and the other seed thresholds Prometheus can see) has an alert with its seed row', () => {
    const seeds = new Set(rules.flatMap((r) => r.labels.seed.split(' ')));
    const required = {
      '003-05': '5xx over 1 %',
      '004-27': 'error rate over 1 %',
      '002-10': '5xx over 5 % for 5 min',
      '000-22': '5xx for 5+ minutes',
      '002-40': 'p95 over 300 ms',
      '004-01': 'p95 300 ms / p99 500 ms',
      '001-38': 'latency warning 500 ms',
      '001-34': 'latency critical 1 s',
      '004-28': 'p95 over 1 s',
      '002-11': 'auth failures over 200 in 5 min',
      '001-39': 'DB pool over 60 %',
      '001-35': 'DB pool over 80 %',
      '002-12': 'DB saturation over 80 % for 2 min',
      '000-23': 'instance down',
      '001-66': 'zero audit ingest',
      '002-04': 'consumer lag, outbox, DLQ',
      '000-30': 'checkpoint stale',
      '000-33': 'retention stale',
      '000-26': 'backup stale or failed',
      '002-07': 'certificate expiry',
      '002-39': '99.9 % availability SLO burn',
      '002-41': 'error budget',
      '004-29': 'availability under 99 %',
      '001-33': 'over 100 failed logins a minute',
      '001-37': 'over 50 failed logins a minute',
      '003-06': 'rate-limit spike for 10 minutes',
      '004-30': 'failed notifications over 5 %',
      '004-05': 'CPU over 80 %',
      '004-06': 'memory over 85 %',
      '004-07': 'disk over 90 %',
      '004-45': 'signing key older than 90 days',
    };
    expect(Object.keys(required).filter((row) => !seeds.has(row))).toEqual([]);
  });

  it('seed 002-39: the burn-rate alerts are multiwindow (14.4x over 1 h and 5 min, 6x over 6 h and 30 min) with a volume guard', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    const fast = byName.get('VigilErrorBudgetFastBurn')!.expr;
    expect(fast).toMatch(/job:slo_http_error_ratio:rate1h > 14\.4 \* 0\.001/);
    expect(fast).toMatch(/job:slo_http_error_ratio:rate5m > 14\.4 \* 0\.001/);
    expect(fast).toMatch(/job:slo_http_requests:rate1h \* 3600 >= 100/);
    const slow = byName.get('VigilErrorBudgetSlowBurn')!.expr;
    expect(slow).toMatch(/job:slo_http_error_ratio:rate6h > 6 \* 0\.001/);
    expect(slow).toMatch(/job:slo_http_error_ratio:rate30m > 6 \* 0\.001/);
    expect(slow).toMatch(/job:slo_http_requests:rate6h \* 21600 >= 100/);
  });
});

describe('Alertmanager routing (deploy/alertmanager)', () => {
  it('seed 004-13: amtool check-config accepts the configuration and its templates', async () => {
    const { code, output } = await run('amtool', ['check-config', ALERTMANAGER_CONFIG], {
      cwd: ALERTMANAGER_DIR,
    });
    expect(output).toContain('SUCCESS');
    expect(output).toMatch(/4 receivers/);
    expect(code).toBe(0);
  });

  it('seed 000-34, 000-35, 000-36: SEV-1 pages, SEV-2 pages in working hours and opens a ticket, SEV-3 opens a ticket', async () => {
    expect(await receiversFor({ sev: 'SEV-1', domain: 'operations', alertname: 'VigilServiceDown' })).toEqual(
      ['sev1-page'],
    );
    expect(await receiversFor({ sev: 'SEV-2', domain: 'operations' })).toEqual([
      'sev2-page-working-hours',
      'sev3-ticket',
    ]);
    expect(await receiversFor({ sev: 'SEV-3', domain: 'operations' })).toEqual(['sev3-ticket']);
  });

  it('seed 004-39, 001-69: security alerts also reach security / the CISO, whatever their SEV', async () => {
    expect(await receiversFor({ sev: 'SEV-1', domain: 'security' })).toEqual(['security-ciso', 'sev1-page']);
    expect(await receiversFor({ sev: 'SEV-3', domain: 'security' })).toEqual([
      'security-ciso',
      'sev3-ticket',
    ]);
  });

  type Route = {
    receiver?: string;
    matchers?: string[];
    routes?: Route[];
    mute_time_intervals?: string[];
    active_time_intervals?: string[];
    repeat_interval?: string;
  };
  const config = () =>
    loadYaml<{
      route: Route;
      receivers: Array<{ name: string; webhook_configs?: Array<{ url: string; send_resolved?: boolean }> }>;
      time_intervals: Array<{ name: string; time_intervals: Array<Record<string, unknown>> }>;
    }>(ALERTMANAGER_CONFIG);

  it('seed 004-72: the monthly maintenance window (second Saturday, 2 hours) mutes every operations route and no security route', () => {
    const c = config();
    const window = c.time_intervals.find((t) => t.name === 'maintenance-window')!;
    expect(window.time_intervals).toEqual([
      {
        weekdays: ['saturday'],
        days_of_month: ['8:14'],
        times: [{ start_time: '02:00', end_time: '04:00' }],
      },
    ]);
    const [, security, operations] = c.route.routes!;
    expect(security.matchers).toEqual(['domain="security"']);
    expect(operations.matchers).toEqual(['domain!="security"']);
    const leaves = (r: Route): Route[] => (r.routes?.length ? r.routes.flatMap(leaves) : [r]);
    for (const leaf of leaves(operations)) expect(leaf.mute_time_intervals).toEqual(['maintenance-window']);
    for (const leaf of [c.route.routes![0], ...leaves(security)])
      expect(leaf.mute_time_intervals).toBeUndefined();
  });

  it('seed 004-35, 003-21: SEV-1 reminds every hour; every receiver is the escalation webhook and reports resolution', () => {
    const c = config();
    const sev1 = c.route.routes!.flatMap((r) => r.routes ?? []).filter((r) => r.receiver === 'sev1-page');
    expect(sev1).toHaveLength(2);
    for (const r of sev1) expect(r.repeat_interval).toBe('1h');
    for (const r of c.receivers) {
      expect(r.webhook_configs).toHaveLength(1);
      expect(r.webhook_configs![0].url).toMatch(/^http:\/\/escalation-webhook:9095\/alerts\/[\w-]+$/);
      expect(r.webhook_configs![0].send_resolved).toBe(true);
    }
  });
});
