/**
 * Helpers for the operations-pack suites: the rule files, their promtool unit tests and the
 * Alertmanager configuration as data, and the Prometheus tools as processes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const ROOT = path.resolve(__dirname, '../..');
export const RULES_DIR = path.join(ROOT, 'deploy/prometheus/rules');
export const RULE_TESTS_DIR = path.join(ROOT, 'deploy/prometheus/tests');
export const PROMETHEUS_CONFIG = path.join(ROOT, 'deploy/prometheus/prometheus.yml');
export const ALERTMANAGER_DIR = path.join(ROOT, 'deploy/alertmanager');
export const ALERTMANAGER_CONFIG = path.join(ALERTMANAGER_DIR, 'alertmanager.yml');
export const RUNBOOKS_DIR = path.join(ROOT, 'docs/runbooks/alerts');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  file: string;
}

const yamlFiles = (dir: string, suffix = '.yml') =>
  readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => path.join(dir, f));

export const ruleFiles = () => yamlFiles(RULES_DIR);
export const ruleTestFiles = () => yamlFiles(RULE_TESTS_DIR, '.test.yml');

export function loadYaml<T = unknown>(file: string): T {
  return YAML.parse(readFileSync(file, 'utf8')) as T;
}

type RuleGroup = {
  name: string;
  rules: Array<{ alert?: string; record?: string } & Omit<AlertRule, 'file'>>;
};

/** Every alerting rule of deploy/prometheus/rules. */
export function alertRules(): AlertRule[] {
  return ruleFiles().flatMap((file) =>
    (loadYaml<{ groups: RuleGroup[] }>(file).groups ?? []).flatMap((g) =>
      g.rules
        .filter((r) => r.alert)
        .map((r) => ({
          ...r,
          labels: r.labels ?? {},
          annotations: r.annotations ?? {},
          file: path.basename(file),
        })),
    ),
  );
}

export interface RuleUnitTest {
  name?: string;
  alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts?: unknown[] }>;
}

/** Every promtool test case, with the file it is in. */
export function ruleUnitTests(): Array<RuleUnitTest & { file: string }> {
  return ruleTestFiles().flatMap((file) =>
    (loadYaml<{ tests: RuleUnitTest[] }>(file).tests ?? []).map((t) => ({
      ...t,
      file: path.basename(file),
    })),
  );
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function markdownAnchors(file: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m) anchors.add(githubAnchor(m[1]));
  }
  return anchors;
}

/** Runs a tool and resolves with its exit code and combined output (never rejects). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd ?? ROOT, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** Debian names Alertmanager's binary prometheus-alertmanager; upstream tarballs, alertmanager. */
export async function alertmanagerBinary(): Promise<string> {
  for (const name of ['prometheus-alertmanager', 'alertmanager']) {
    if ((await run('sh', ['-c', `command -v ${name}`])).code === 0) return name;
  }
  throw new Error(
    'no alertmanager binary: run deploy/local/observability-tools.sh (installs Debian prometheus-alertmanager)',
  );
}

/** The receivers `amtool config routes test` picks for a label set, in order. */
export async function receiversFor(labels: Record<string, string>, configFile = ALERTMANAGER_CONFIG) {
  const { code, output } = await run('amtool', [
    'config',
    'routes',
    'test',
    `--config.file=${configFile}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  ]);
  if (code !== 0) throw new Error(`amtool config routes test failed: ${output}`);
  const line = output
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('Warning'));
  return (line ?? '').split(',');
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** The raw metric names a PromQL expression reads (recording rules, with a colon, left out). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\boffset\s+\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || PROMQL_KEYWORDS.has(name.toLowerCase()) || name.includes(':')) continue;
    if (/^\d/.test(name)) continue;
    names.add(name);
  }
  return [...names];
}

const INSTRUMENT =
  /create(Counter|UpDownCounter|Histogram|Gauge|ObservableGauge|ObservableCounter|ObservableUpDownCounter)\(\s*'([a-z0-9_.]+)'/g;

/**
 * The Prometheus names of the OpenTelemetry instruments declared in apps/ and libs/ (the exporter
 * turns dots into underscores and adds _total to counters, _bucket/_count/_sum to histograms).
 */
export function exportedMetricNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'testing') walk(p);
      } else if (entry.name.endsWith('.ts') && !/\.(spec|test)\.ts$/.test(entry.name)) {
        const source = readFileSync(p, 'utf8');
        // A local helper named gauge('name', ...) wraps createObservableGauge (the backup metrics).
        for (const [, name] of source.matchAll(/\bgauge\(\s*'([a-z0-9_.]+)'/g))
          names.add(name.replace(/\./g, '_'));
        for (const [, kind, name] of source.matchAll(INSTRUMENT)) {
          const base = name.replace(/\./g, '_');
          if (kind.endsWith('Counter') && !kind.includes('UpDown')) names.add(`${base}_total`);
          else if (kind === 'Histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(base + s);
          else names.add(base);
        }
      }
    }
  };
  walk(path.join(ROOT, 'apps'));
  walk(path.join(ROOT, 'libs'));
  return names;
}

export { freePort } from '../support/processes';

/** A tool of the Prometheus stack as a child process, its output kept for failure messages. */
export function startTool(bin: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  return { child, output: () => out };
}

/** SIGTERM, then SIGKILL after 15 s; resolves once the process has exited. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A real Alertmanager on `port` with the repository's alertmanager.yml and templates, copied into
 * `dir` with two changes only: the receivers' host is this test's webhook on `webhookPort`, and
 * group_wait/group_interval are 1 s (not 10-30 s / 5 min), so a test takes seconds.
 */
export async function startAlertmanager(dir: string, port: number, webhookPort: number) {
  cpSync(path.join(ALERTMANAGER_DIR, 'templates'), path.join(dir, 'templates'), { recursive: true });
  type Route = Record<string, unknown> & { routes?: Route[] };
  const am = loadYaml<{ route: Route }>(ALERTMANAGER_CONFIG);
  const quicken = (route: Route) => {
    if ('group_wait' in route || route === am.route) route.group_wait = '1s';
    if (route === am.route) route.group_interval = '1s';
    for (const child of route.routes ?? []) quicken(child);
  };
  quicken(am.route);
  const config = path.join(dir, 'alertmanager.yml');
  writeFileSync(
    config,
    YAML.stringify(am).replaceAll('http://escalation-webhook:9095', `http://127.0.0.1:${webhookPort}`),
  );
  const tool = startTool(await alertmanagerBinary(), [
    `--config.file=${config}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  return { ...tool, url: `http://127.0.0.1:${port}` };
}

export interface WebhookCall {
  path: string;
  body: {
    receiver: string;
    status: string;
    alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  };
}

/** The escalation engine's stand-in: an HTTP server on `port` that records every notification. */
export async function startWebhook(port: number): Promise<{ calls: WebhookCall[]; close(): Promise<void> }> {
  const calls: WebhookCall[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
