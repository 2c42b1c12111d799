// Operations pack end to end (issue 16 item 2): the four services as their own processes (each its
// own /metrics), a real Prometheus scraping them with the real rule files, a real Alertmanager with
// the real routing, and a webhook receiver standing in for seed 003's escalation engine. A burst of
// failed logins through the gateway's public API must reach the webhook as VigilAuthFailuresSpike
// (seed 002-11), on the SEV-1 pager route and the security route, with its seed, severity and
// runbook.
//
// What differs from production, and why: scrape and evaluation every second (not 15 s), and
// Alertmanager's group_wait/group_interval of 1 s (not 10-30 s / 5 min), so the test takes seconds;
// the webhook URL is this test's server. The rule files are loaded as they are: the alert used has
// no `for:` (its 5-minute increase window is its smoothing), and the promtool unit tests prove
// every `for:` duration and threshold at their real values.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { dlqTopic } from '@vigil/contracts';
import {
  createTopics,
  deleteTopics,
  freshSchema,
  kafkaBrokers,
  kafkaTlsEndpoint,
  testDatabaseUrl,
  uniqueTopic,
  waitFor,
} from '@vigil/testing';
import { spawnService, type Spawned } from '../support/processes';
import { testActionKeys } from '../support/action-signing';
import { s3ProxyEnv } from '../support/s3';
import { freePort, ruleFiles, startAlertmanager, startTool, startWebhook, stop } from './alerting-support';

const SERVICES = ['auth-gateway', 'audit-writer', 'security-monitor', 'retention-worker'] as const;
type Service = (typeof SERVICES)[number];

const json = async <T>(url: string): Promise<T> => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
};

describe('alerting end to end: services → Prometheus → Alertmanager → escalation webhook', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-alerting-e2e-'));
  const ports = {} as Record<Service | 'prometheus' | 'alertmanager' | 'webhook', number>;
  const services = new Map<Service, Spawned>();
  const cleanups: Array<() => Promise<unknown>> = [];
  let prometheus: ReturnType<typeof startTool> | undefined;
  let alertmanager: ReturnType<typeof startTool> | undefined;
  let webhook: Awaited<ReturnType<typeof startWebhook>> | undefined;
  const calls = () => webhook?.calls ?? [];

  const serviceLogs = () =>
    [...services].map(([name, s]) => `--- ${name}\n${s.output().slice(-3000)}`).join('\n');

  beforeAll(async () => {
    for (const key of [...SERVICES, 'prometheus', 'alertmanager', 'webhook'] as const)
      ports[key] = await freePort();

    // The escalation engine's stand-in: records every notification.
    webhook = await startWebhook(ports.webhook);

    // Topics and schemas of this run only.
    const topics = {
      auth: uniqueTopic('ops-alerting.auth'),
      actions: uniqueTopic('ops-alerting.actions'),
      ops: uniqueTopic('ops-alerting.ops'),
      monitorAlerts: uniqueTopic('ops-alerting.alerts'),
      monitorActions: uniqueTopic('ops-alerting.monitor-actions'),
      repartition: uniqueTopic('ops-alerting.by-ip'),
      partials: uniqueTopic('ops-alerting.partials'),
    };
    const all = Object.values(topics).flatMap((t) => [t, dlqTopic(t)]);
    await createTopics(all, 1);
    cleanups.push(() => deleteTopics(all).catch(() => undefined));
    const schemas = {
      gateway: await freshSchema('ops_gw'),
      writer: await freshSchema('ops_audit'),
      monitor: await freshSchema('ops_monitor'),
      retention: await freshSchema('ops_retention'),
    };
    for (const s of Object.values(schemas)) cleanups.push(() => s.drop().catch(() => undefined));
    const dir = (name: string) => {
      const d = path.join(tmp, name);
      mkdirSync(d, { recursive: true });
      return d;
    };
    const base = (service: Service, schema: string) => ({
      NODE_ENV: 'test',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(ports[service]),
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: schema,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_CLIENT_ID: `ops-alerting-${service}`,
      LOG_LEVEL: 'warn',
    });
    const jwks = `http://127.0.0.1:${ports['auth-gateway']}/.well-known/jwks.json`;
    const env: Record<Service, Record<string, string>> = {
      'auth-gateway': {
        ...base('auth-gateway', schemas.gateway.schema),
        KAFKA_GROUP_ID: `ops-alerting-gw-${topics.auth}`,
        KAFKA_TOPIC_AUTH_EVENTS: topics.auth,
        KAFKA_TOPIC_SECURITY_ACTIONS: topics.actions,
        SIGNING_KEYS_DIR: dir('gateway-keys'),
        SECURITY_ACTION_PUBLIC_KEYS: testActionKeys().publicDir,
        OUTBOX_POLL_MS: '50',
        TRUST_PROXY: 'loopback',
        // Cheap hashes and no throttling: the burst below is many clients, each refused (400 invalid_grant on the token endpoint).
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_TIME_COST: '1',
        THROTTLE_IP_FREE_FAILURES: '100000',
        THROTTLE_ACCOUNT_IP_FREE_FAILURES: '1000',
        LOCKOUT_THRESHOLD: '1000',
      },
      'audit-writer': {
        ...base('audit-writer', schemas.writer.schema),
        AUDIT_TOPICS: `${topics.auth},${topics.ops}`,
        AUTH_EVENTS_TOPIC: topics.auth,
        KAFKA_GROUP_ID: `ops-alerting-writer-${topics.auth}`,
        AUDIT_KEY_DIR: dir('audit-keys'),
        AUTH_JWKS_URL: jwks,
      },
      'security-monitor': {
        ...base('security-monitor', schemas.monitor.schema),
        // Over the broker's SASL_SSL listener: its CA's expiry is exported (seed 002-07).
        KAFKA_BROKERS: kafkaTlsEndpoint().brokers.join(','),
        KAFKA_TLS: 'true',
        KAFKA_TLS_CA_FILE: kafkaTlsEndpoint().caFile,
        MONITOR_INPUT_TOPIC: topics.auth,
        MONITOR_ALERTS_TOPIC: topics.monitorAlerts,
        MONITOR_ACTIONS_TOPIC: topics.monitorActions,
        MONITOR_REPARTITION_TOPIC: topics.repartition,
        MONITOR_PARTIALS_TOPIC: topics.partials,
        KAFKA_GROUP_ID: `ops-alerting-monitor-${topics.auth}`,
        AUTH_EVENTS_TOPIC: topics.auth,
        AUTH_JWKS_URL: jwks,
        MONITOR_ACTION_SIGNING_KEY_FILE: testActionKeys().keyFile,
        MONITOR_ACTION_KEY_DIR: testActionKeys().dir,
      },
      'retention-worker': {
        ...base('retention-worker', schemas.retention.schema),
        ...s3ProxyEnv(),
        ARCHIVE_S3_PREFIX: `test/${path.basename(tmp)}`,
        AUDIT_DB_SCHEMA: schemas.writer.schema,
        RESTORE_DB_SCHEMA: `${schemas.writer.schema}_restore`,
        RETENTION_SCHEDULE: 'off',
        BACKUP_SCHEDULE: 'off',
        AUTH_EVENTS_TOPIC: topics.auth,
        AUTH_JWKS_URL: jwks,
        KAFKA_GROUP_ID: `ops-alerting-retention-${topics.auth}`,
      },
    };
    // The gateway first (the others read its JWKS), then the other three side by side.
    services.set('auth-gateway', spawnService('auth-gateway', env['auth-gateway']));
    const ready = (service: Service) =>
      waitFor(
        async () => {
          const s = services.get(service)!;
          if (s.child.exitCode !== null) throw new Error(`${service} exited ${s.child.exitCode}`);
          return (await fetch(`http://127.0.0.1:${ports[service]}/health`)).status === 200;
        },
        { timeoutMs: 150_000, intervalMs: 500, what: `${service} ready` },
      );
    try {
      await ready('auth-gateway');
      for (const s of ['audit-writer', 'security-monitor', 'retention-worker'] as const)
        services.set(s, spawnService(s, env[s]));
      await Promise.all(
        ['audit-writer', 'security-monitor', 'retention-worker'].map((s) => ready(s as Service)),
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${serviceLogs()}`);
    }

    // Alertmanager with the real routing; only the receiver's host and the grouping delays change.
    alertmanager = await startAlertmanager(dir('alertmanager'), ports.alertmanager, ports.webhook);

    // Prometheus with the real rule files, scraping the four services every second.
    const rulesDir = dir('rules');
    for (const file of ruleFiles()) cpSync(file, path.join(rulesDir, path.basename(file)));
    const promConfig = path.join(tmp, 'prometheus.yml');
    writeFileSync(
      promConfig,
      YAML.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [path.join(rulesDir, '*.yml')],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${ports.alertmanager}`] }] }] },
        scrape_configs: SERVICES.map((job) => ({
          job_name: job,
          metrics_path: '/metrics',
          static_configs: [{ targets: [`127.0.0.1:${ports[job]}`] }],
        })),
      }),
    );
    prometheus = startTool('prometheus', [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${dir('prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    ]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.alertmanager}/-/ready`)).ok, {
      timeoutMs: 30_000,
      what: `alertmanager ready\n${alertmanager.output()}`,
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.prometheus}/-/ready`)).ok, {
      timeoutMs: 30_000,
      what: `prometheus ready\n${prometheus.output()}`,
    });
  }, 300_000);

  afterAll(async () => {
    await stop(prometheus?.child);
    await stop(alertmanager?.child);
    await Promise.all([...services.values()].map((s) => stop(s.child)));
    await webhook?.close();
    for (const c of cleanups) await c();
    rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it("seed 000-23, 002-07, 004-45: Prometheus scrapes all four services (the monitor over TLS, its CA expiry, the gateway signing key's age) and finds Alertmanager", async () => {
    type Targets = {
      data: { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> };
    };
    const targets = await waitFor(
      async () => {
        const t = await json<Targets>(`http://127.0.0.1:${ports.prometheus}/api/v1/targets`);
        const up = t.data.activeTargets.filter((x) => x.health === 'up').map((x) => x.labels.job);
        return SERVICES.every((s) => up.includes(s)) ? t.data.activeTargets : undefined;
      },
      { timeoutMs: 30_000, what: 'all four targets up' },
    );
    expect(targets.map((t) => t.labels.job).sort()).toEqual([...SERVICES].sort());
    type Ams = { data: { activeAlertmanagers: Array<{ url: string }> } };
    const ams = await waitFor(
      async () =>
        (await json<Ams>(`http://127.0.0.1:${ports.prometheus}/api/v1/alertmanagers`)).data
          .activeAlertmanagers,
      { what: 'prometheus discovered alertmanager' },
    );
    expect(ams[0].url).toContain(`127.0.0.1:${ports.alertmanager}`);
    // Seed 002-07: the monitor's Kafka CA reaches Prometheus with its expiry, in the future.
    type Q = { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    const query = (q: string) =>
      json<Q>(`http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`);
    const ca = await waitFor(
      async () =>
        (await query('tls_certificate_not_after_timestamp_seconds{job="security-monitor"}')).data.result[0],
      { timeoutMs: 30_000, what: 'the Kafka CA expiry of the monitor' },
    );
    expect(ca.metric).toMatchObject({ certificate: 'kafka-ca', subject: 'CN=Vigil local Kafka CA' });
    expect(Number(ca.value[1])).toBeGreaterThan(Date.now() / 1000);
    // Seed 004-45: the gateway's signing key age (its key was made when it started).
    const key = await waitFor(
      async () =>
        (await query('auth_signing_key_created_timestamp_seconds{job="auth-gateway"}')).data.result[0],
      { timeoutMs: 30_000, what: 'the signing key timestamp' },
    );
    expect(Number(key.value[1])).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(Number(key.value[1])).toBeLessThanOrEqual(Date.now() / 1000);
    // Recording rules evaluate against the real series (the HTTP histogram of the probes above).
    await waitFor(
      async () => {
        type Q = { data: { result: Array<{ metric: Record<string, string> }> } };
        const q = await json<Q>(
          `http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent('job_route:http_requests:rate5m')}`,
        );
        const jobs = new Set(q.data.result.map((r) => r.metric.job));
        return SERVICES.every((s) => jobs.has(s));
      },
      { timeoutMs: 30_000, what: 'job_route:http_requests:rate5m for every service' },
    );
  });

  it('seed 002-11, 000-34, 004-39: 260 failed logins in a minute page through Alertmanager and reach security, with seed, severity and runbook', async () => {
    const gateway = `http://127.0.0.1:${ports['auth-gateway']}`;
    // A near miss first: 20 failures are not a spike.
    const attempt = async (i: number) => {
      const res = await fetch(`${gateway}/api/v1/auth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': `198.51.${100 + (i % 50)}.${1 + (i % 200)}`,
        },
        body: `username=stuffed-${i}%40example.org&password=Wrong-Password-${i}`,
      });
      await res.arrayBuffer();
      return res.status;
    };
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await attempt(i));
    type Rules = {
      data: { groups: Array<{ rules: Array<{ name: string; state?: string; lastEvaluation: string }> }> };
    };
    const spikeRule = async () =>
      (await json<Rules>(`http://127.0.0.1:${ports.prometheus}/api/v1/rules?type=alert`)).data.groups
        .flatMap((g) => g.rules)
        .find((r) => r.name === 'VigilAuthFailuresSpike');
    // Wait until the 20 are scraped and the rule has been evaluated over them: still inactive.
    await waitFor(
      async () => {
        type Q = { data: { result: Array<{ value: [number, string] }> } };
        const q = await json<Q>(
          `http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent('sum(auth_logins_total{outcome="failure"})')}`,
        );
        return Number(q.data.result[0]?.value[1] ?? 0) >= 20;
      },
      { timeoutMs: 30_000, what: 'the first 20 failures scraped' },
    );
    const evaluatedAfter = Date.now();
    const nearMiss = await waitFor(
      async () => {
        const r = await spikeRule();
        return r && Date.parse(r.lastEvaluation) > evaluatedAfter ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the spike rule evaluated after the first 20' },
    );
    expect(nearMiss.state).toBe('inactive');
    expect(
      calls().filter((c) => c.body.alerts.some((a) => a.labels.alertname === 'VigilAuthFailuresSpike')),
    ).toEqual([]);

    // The burst: 240 more, ten clients at a time, each a different account and address.
    for (let i = 20; i < 260; i += 10)
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => attempt(i + k)))));
    expect(statuses.filter((s) => s !== 400)).toEqual([]); // RFC 6749 §5.2: invalid_grant

    const firing = (path: string) =>
      calls().find(
        (c) =>
          c.path === path &&
          c.body.status === 'firing' &&
          c.body.alerts.some((a) => a.labels.alertname === 'VigilAuthFailuresSpike' && a.status === 'firing'),
      );
    const page = await waitFor(() => firing('/alerts/sev1-page'), {
      timeoutMs: 90_000,
      intervalMs: 250,
      what: `VigilAuthFailuresSpike on the SEV-1 pager route (received: ${calls().length} notifications)`,
    });
    const alert = page.body.alerts.find((a) => a.labels.alertname === 'VigilAuthFailuresSpike')!;
    expect(page.body.receiver).toBe('sev1-page');
    expect(alert.labels).toMatchObject({
      alertname: 'VigilAuthFailuresSpike',
      job: 'auth-gateway',
      severity: 'critical',
      sev: 'SEV-1',
      seed: '002-11 000-25',
      domain: 'security',
    });
    expect(alert.annotations.runbook_url).toBe('docs/runbooks/alerts/security.md#vigilauthfailuresspike');
    expect(alert.annotations.summary).toMatch(
      /^auth-gateway: \d+ failed logins in 5 minutes \(page above 200\)$/,
    );
    expect(Number(/: (\d+) failed/.exec(alert.annotations.summary)![1])).toBeGreaterThan(200);
    expect(alert.annotations.description).toContain('Suspected credential abuse');

    // Seed 004-39: the security receiver hears it too.
    const security = await waitFor(() => firing('/alerts/security'), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'VigilAuthFailuresSpike on the security route',
    });
    expect(security.body.receiver).toBe('security-ciso');
    // A SEV-1 never went to the ticket route.
    expect(
      calls().filter(
        (c) =>
          c.path === '/alerts/ticket' &&
          c.body.alerts.some((a) => a.labels.alertname === 'VigilAuthFailuresSpike'),
      ),
    ).toEqual([]);
  });
});
