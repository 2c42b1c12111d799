// Item 3 of issue 16: the Grafana dashboards are code (deploy/grafana/src) and this suite keeps them
// honest. (a) The committed JSON is what `npm run dashboards` makes of the sources. (b) Every PromQL
// expression parses: each is wrapped as a recording rule for `promtool check rules`. (c) Every metric
// a query names is exported by the running services: all four start in-process, a little traffic
// goes through them (logins good and bad, a lockout, an alert and the action it triggers, a
// duplicate and a malformed event, a retention run, a backup on record), and their /metrics are
// scraped. (d) Every SQL query (panels and the deploy annotation) runs against the real audit store
// as Grafana's read-only role. Seeds 000-14..17, 001-09, 001-12, 001-15, 001-16, 002-26, 002-27.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test-dashboards');
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import { createEvent, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { EventProducer, toMessage } from '@vigil/kafka';
import { createTopics, freshSchema, testDatabaseUrl, waitFor } from '@vigil/testing';
import { buildDashboards } from '../../deploy/grafana/src';
import { ADMIN, startGateway, waitReady, type Gateway } from '../auth-gateway/support/gateway';
import { bootMonitor, monitorFixture, type MonitorApp } from '../security-monitor/support';
import { startApp, type TestApp } from '../support/apps';
import { s3ProxyEnv } from '../support/s3';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { rolePassword } = require('../../deploy/local/db-secrets') as { rolePassword(role: string): string };

const run = promisify(execFile);
const GRAFANA_ROLE = 'vigil_grafana';
const ROOT = path.resolve(__dirname, '../..');
const DASHBOARDS_DIR = path.join(ROOT, 'deploy/grafana/dashboards');

interface Query {
  dashboard: string;
  panel: string;
  kind: 'promql' | 'sql';
  text: string;
}

type Json = Record<string, unknown>;

/** Every query of every dashboard: panel targets (rows' nested panels too), annotations, variables. */
function queriesOf(dashboards: Record<string, Json>): Query[] {
  const out: Query[] = [];
  const fromTarget = (dashboard: string, panel: string, t: Json) => {
    if (typeof t.expr === 'string') out.push({ dashboard, panel, kind: 'promql', text: t.expr });
    if (typeof t.rawSql === 'string') out.push({ dashboard, panel, kind: 'sql', text: t.rawSql });
  };
  for (const [dashboard, d] of Object.entries(dashboards)) {
    const panels = ((d.panels as Json[]) ?? []).flatMap((p) => [p, ...((p.panels as Json[]) ?? [])]);
    for (const p of panels) {
      for (const t of (p.targets as Json[]) ?? []) fromTarget(dashboard, String(p.title), t);
    }
    for (const a of ((d.annotations as Json)?.list as Json[]) ?? []) {
      if (a.target) fromTarget(dashboard, `annotation ${a.name}`, a.target as Json);
    }
    for (const v of ((d.templating as Json)?.list as Json[]) ?? []) {
      const m = typeof v.query === 'string' && /^label_values\((.+),\s*\w+\)$/.exec(v.query);
      if (m) out.push({ dashboard, panel: `variable ${v.name}`, kind: 'promql', text: m[1] });
    }
  }
  return out;
}

/** Grafana's variables, as Grafana would substitute them on a 6-hour view with every job picked. */
function substitutePromql(expr: string): string {
  return expr
    .replace(/\$__rate_interval/g, '1m')
    .replace(/\$__interval/g, '30s')
    .replace(/\$__range/g, '6h')
    .replace(/\$job/g, 'auth-gateway|audit-writer|security-monitor|retention-worker');
}

/** The PostgreSQL datasource's macros, expanded the way Grafana does for a 6-hour view. */
function substituteSql(text: string): string {
  return text
    .replace(/\$__timeGroupAlias\((\w+),\s*\$__interval\)/g, "date_trunc('minute', $1) AS time")
    .replace(/\$__timeFilter\((\w+)\)/g, "$1 BETWEEN now() - interval '6 hours' AND now()");
}

const FUNCTIONS_AND_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads: what is left once strings, matchers, ranges, grouping and calls are gone. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    const [word, call] = [m[0], m[1]];
    if (call || FUNCTIONS_AND_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Sample names in a Prometheus text exposition (histograms as _bucket/_sum/_count, counters as _total). */
function sampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

function sampleValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
}

const built = async () => {
  const dashboards = buildDashboards();
  return { dashboards, json: JSON.parse(JSON.stringify(dashboards)) as Record<string, Json> };
};

describe('Grafana dashboards as code', () => {
  it('(a) the committed JSON is what npm run dashboards generates from deploy/grafana/src', async () => {
    const { dashboards } = await built();
    const out = mkdtempSync(path.join(os.tmpdir(), 'vigil-dashboards-gen-'));
    try {
      await run(
        process.execPath,
        ['-r', './tools/ts-register.js', 'deploy/grafana/src/generate.ts', '--out', out],
        {
          cwd: ROOT,
        },
      );
      const files = (dir: string) =>
        readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .sort();
      expect(files(DASHBOARDS_DIR)).toEqual(
        Object.keys(dashboards)
          .map((n) => `${n}.json`)
          .sort(),
      );
      expect(files(out)).toEqual(files(DASHBOARDS_DIR));
      for (const f of files(out)) {
        const committed = readFileSync(path.join(DASHBOARDS_DIR, f), 'utf8');
        expect({ f, json: committed }).toEqual({ f, json: readFileSync(path.join(out, f), 'utf8') });
        // And it is the dashboard the sources build, not merely the same text twice.
        expect(JSON.parse(committed)).toEqual(JSON.parse(JSON.stringify(dashboards[f.slice(0, -5)])));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    // Uids are what links and bookmarks keep: one per dashboard, stable.
    expect(Object.values(dashboards).map((d) => d.uid)).toEqual([
      'vigil-golden-signals',
      'vigil-security',
      'vigil-audit-pipeline',
      'vigil-slo',
    ]);
  });

  it('every datasource a dashboard names is provisioned, and compose mounts what the provider reads', async () => {
    const { json } = await built();
    const provisioned = readdirSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources'))
      .filter((f) => f.endsWith('.yml'))
      .flatMap((f) => [
        ...readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources', f), 'utf8').matchAll(
          /^\s+uid:\s*(\S+)\s*$/gm,
        ),
      ])
      .map((m) => m[1]);
    expect(provisioned.sort()).toEqual(['prometheus', 'vigil-audit-db']);
    const used = new Set([...JSON.stringify(json).matchAll(/"uid":"([^"]+)"/g)].map((m) => m[1]));
    const dashboardUids = new Set(Object.values(json).map((d) => d.uid as string));
    expect([...used].filter((u) => !dashboardUids.has(u) && !provisioned.includes(u))).toEqual([]);
    const provider = readFileSync(
      path.join(ROOT, 'deploy/grafana/provisioning/dashboards/vigil.yml'),
      'utf8',
    );
    const dir = /^\s+path:\s*(\S+)\s*$/m.exec(provider)![1];
    const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./deploy/grafana/dashboards:${dir}:ro`);
    expect(compose).toContain(
      './deploy/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro',
    );
  });

  it('(b) every PromQL expression parses: promtool check rules on each as a recording rule', async () => {
    const { json } = await built();
    const promql = queriesOf(json).filter((q) => q.kind === 'promql');
    expect(promql.length).toBeGreaterThan(50);
    const exprs = promql.map((q) => substitutePromql(q.text));
    // A variable the substitution does not know would reach Prometheus as a literal `$`.
    expect(exprs.filter((e) => e.includes('$'))).toEqual([]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-dashboards-'));
    try {
      const file = path.join(dir, 'dashboards.rules.yml');
      const rules = exprs.map(
        (e, i) => `      - record: vigil_dashboard:query_${i}\n        expr: ${JSON.stringify(e)}`,
      );
      writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n${rules.join('\n')}\n`);
      const res = await run('promtool', ['check', 'rules', file]).catch(
        (err: { stdout?: string; stderr?: string }) => {
          throw new Error(`promtool check rules failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
        },
      );
      expect(res.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the metric-name extraction finds names and only names', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, job) (rate(http_server_request_duration_seconds_bucket{job=~"a|b"}[5m]))) / on (job) group_left sum(up) or vector(0)',
      ).sort(),
    ).toEqual(['http_server_request_duration_seconds_bucket', 'up']);
    expect(metricNames('time() - max(backup_last_success_timestamp_seconds{job="x"})')).toEqual([
      'backup_last_success_timestamp_seconds',
    ]);
  });

  describe('against the running services', () => {
    let gw: Gateway;
    let writer: TestApp;
    let monitor: MonitorApp;
    let fx: Awaited<ReturnType<typeof monitorFixture>>;
    let retentionDb: Awaited<ReturnType<typeof freshSchema>>;
    let retention: TestApp | undefined;
    let db: Client;
    let jwks: string;
    const retentionEnv = () => ({
      ...s3ProxyEnv(),
      ARCHIVE_S3_PREFIX: `test/dashboards-${retentionDb.schema}`,
      AUDIT_DB_SCHEMA: writer.schema,
      RETENTION_SCHEDULE: 'off',
      BACKUP_SCHEDULE: 'off',
      AUTH_JWKS_URL: jwks,
      KAFKA_GROUP_ID: `dash-retention-${retentionDb.schema}`,
    });

    beforeAll(async () => {
      db = new Client({ connectionString: testDatabaseUrl() });
      await db.connect();
      gw = await startGateway();
      await gw.app.listen(0, '127.0.0.1');
      jwks = `${(await gw.app.getUrl()).replace('[::1]', '127.0.0.1')}/.well-known/jwks.json`;
      await createTopics([dlqTopic(gw.topics.auth)], 3).catch(() => undefined);
      await waitReady(gw);
      writer = await startApp('audit-writer', {
        AUDIT_TOPICS: gw.topics.auth,
        KAFKA_GROUP_ID: `dash-writer-${gw.topics.auth}`,
        AUTH_JWKS_URL: jwks,
        AUDIT_CHECKPOINT_INTERVAL_MS: '300',
        AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-dash-keys-')),
      });
      fx = await monitorFixture('dash');
      // The per-user critical rule acts for real here (the shipped rules file has it dry-run).
      const rules = JSON.parse(readFileSync(fx.rulesFile, 'utf8'));
      rules.rules.find((r: { id: string }) => r.id === 'failed-logins-per-user-1m-critical').response.dryRun =
        false;
      writeFileSync(fx.rulesFile, JSON.stringify(rules));
      monitor = await bootMonitor(fx, {
        MONITOR_INPUT_TOPIC: gw.topics.auth,
        MONITOR_ACTIONS_TOPIC: gw.topics.actions,
        AUTH_JWKS_URL: jwks,
      });
      retentionDb = await freshSchema('retention_worker');
      retention = await startApp('retention-worker', retentionEnv(), { db: retentionDb });
    });
    afterAll(async () => {
      await retention?.close();
      await retentionDb?.drop();
      await monitor?.close();
      await fx?.db.drop();
      await writer?.close();
      await gw?.close();
      await db?.end();
    });

    async function driveTraffic(): Promise<void> {
      const srv = gw.app.getHttpServer();
      const form = (u: string, p: string) =>
        `username=${encodeURIComponent(u)}&password=${encodeURIComponent(p)}`;
      const token = await request(srv)
        .post('/api/v1/auth/token')
        .type('form')
        .send(form(ADMIN.username, ADMIN.password))
        .expect(200);
      const admin = `Bearer ${token.body.access_token}`;
      const created = await request(srv)
        .post('/api/v1/admin/users')
        .set('Authorization', admin)
        .send({
          username: 'dana.ops',
          email: 'dana.ops@vigil.test',
          password: 'Tidal-Lantern-Quartz-88',
          roles: ['user'],
        });
      expect(created.status).toBe(201);
      // Wrong passwords from a few addresses: failures, then the account lockout and 429s.
      for (let i = 0; i < 8; i++) {
        await request(srv)
          .post('/api/v1/auth/token')
          .type('form')
          .set('X-Forwarded-For', `198.51.100.${20 + (i % 3)}`)
          .send(form('dana.ops', `wrong-${i}`));
      }
      // Straight onto the auth topic, as a second gateway would: a burst that trips the critical
      // per-user rule (its lock reaches this gateway, signed), one event twice, one malformed record.
      const producer = writer.app.get(EventProducer);
      const burst: EventEnvelope[] = Array.from(
        { length: 12 },
        (_, i) =>
          createEvent('FAILED_AUTH_LOGIN', {
            producer: 'auth-gateway',
            occurredAt: new Date(),
            subject: { userId: created.body.id, username: 'dana.ops' },
            source: { ip: '203.0.113.66', userAgent: 'curl/8.5.0' },
            outcome: 'failure',
            reason: 'invalid_credentials',
            requestId: `dash-${i}`,
            attributes: { attemptCount: i + 1, repeated: false },
          }) as EventEnvelope,
      );
      await producer.send(
        gw.topics.auth,
        [...burst, burst[0]].map((e) => toMessage(e)),
      );
      await producer.send(gw.topics.auth, [{ key: 'junk', value: Buffer.from('{"not":"an event"') }]);
      // A retention run for real (nothing is old enough to go) and an audit read.
      await request(retention!.app.getHttpServer())
        .post('/api/v1/audit/cleanup')
        .set('Authorization', admin)
        .send({ retention_days: 90, dry_run: false })
        .expect(200);
      await request(writer.app.getHttpServer())
        .get('/api/v1/audit/logs?limit=5')
        .set('Authorization', admin)
        .expect(200);
    }

    it('(c) every metric a query names is exported by the services, and (d) every SQL query runs as the read-only Grafana role', async () => {
      await driveTraffic();
      // A backup on record (what BackupService reads at start), then a restart: the backup gauges.
      await db.query(
        `INSERT INTO "${retentionDb.schema}".backups (backup_id, trigger, status, schemas, started_at, finished_at, files, bytes, manifest_key, manifest_sha256)
         VALUES ('dash-1', 'cli', 'complete', '{audit}', now() - interval '2 minutes', now() - interval '1 minute', 3, 4096, 'backups/dash-1/manifest.json', $1)`,
        ['a'.repeat(64)],
      );
      const first = retention!;
      retention = undefined;
      await first.close();
      retention = await startApp('retention-worker', retentionEnv(), { db: retentionDb });

      const { json } = await built();
      const queries = queriesOf(json);
      const wanted = new Map<string, string[]>();
      for (const q of queries.filter((x) => x.kind === 'promql')) {
        for (const name of metricNames(substitutePromql(q.text))) {
          wanted.set(name, [...(wanted.get(name) ?? []), `${q.dashboard}: ${q.panel}`]);
        }
      }
      // Series Prometheus makes itself for every target it scrapes, not the services.
      for (const synthetic of ['up']) expect(wanted.delete(synthetic)).toBe(true);
      expect(wanted.size).toBeGreaterThan(30);
      const services = [gw.app, writer.app, monitor.app, retention!.app];
      const scrape = async () => {
        const texts = await Promise.all(
          services.map(async (a) => (await request(a.getHttpServer()).get('/metrics').expect(200)).text),
        );
        return { text: texts.join('\n'), names: new Set(texts.flatMap((t) => [...sampleNames(t)])) };
      };
      let last = await scrape();
      const missing = () => [...wanted.keys()].filter((n) => !last.names.has(n)).sort();
      await waitFor(
        async () => {
          last = await scrape();
          return missing().length === 0;
        },
        { timeoutMs: 60_000, what: 'every metric the dashboards query' },
      ).catch(() => undefined);
      expect(missing().map((n) => `${n} (${wanted.get(n)!.join('; ')})`)).toEqual([]);

      // The audit store's new gauges say something true about the store.
      expect(sampleValue(last.text, 'audit_chains')).toBeGreaterThanOrEqual(1);
      expect(sampleValue(last.text, 'audit_db_bytes')).toBeGreaterThan(0);

      // (d) As vigil_grafana, with its own settings (read-only), on this run's schemas.
      const url = new URL(testDatabaseUrl());
      url.username = GRAFANA_ROLE;
      url.password = rolePassword(GRAFANA_ROLE);
      // What db-setup grants on the real audit and retention schemas, on this run's throwaway ones.
      for (const s of [writer.schema, retentionDb.schema]) {
        await db.query(`GRANT USAGE ON SCHEMA "${s}" TO ${GRAFANA_ROLE}`);
        await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${s}" TO ${GRAFANA_ROLE}`);
      }
      const grafana = new Client({ connectionString: url.toString() });
      await grafana.connect();
      try {
        expect((await grafana.query('SHOW default_transaction_read_only')).rows[0]).toEqual({
          default_transaction_read_only: 'on',
        });
        await grafana.query(`SET search_path = "${writer.schema}", "${retentionDb.schema}"`);
        const sqls = queries.filter((q) => q.kind === 'sql');
        expect(sqls.length).toBeGreaterThanOrEqual(8);
        const results = new Map<string, Json[]>();
        for (const q of sqls) {
          const res = await grafana.query(substituteSql(q.text)).catch((err: Error) => {
            throw new Error(`${q.dashboard}: ${q.panel}: ${err.message}\n${q.text}`);
          });
          results.set(q.panel, res.rows);
        }
        // The gateway's users (and credentials) are not Grafana's to read; nothing is writable.
        await expect(grafana.query(`SELECT count(*) FROM "${gw.schema}".users`)).rejects.toThrow(
          /permission denied/,
        );
        await expect(grafana.query(`DELETE FROM "${retentionDb.schema}".backups`)).rejects.toThrow(
          /read-only/,
        );

        // The rows the traffic made show up where an on-call engineer looks for them.
        await waitFor(
          async () => {
            const ips = (
              await grafana.query(substituteSql(sqls.find((q) => q.panel.startsWith('Top source IPs'))!.text))
            ).rows;
            return ips.some((r) => r['source IP'] === '203.0.113.66' && Number(r['failed logins']) >= 12);
          },
          { timeoutMs: 30_000, what: 'the burst IP at the top of the source IPs panel' },
        );
        expect(results.get('Recent backups (14 days)')).toEqual([
          expect.objectContaining({ status: 'complete', files: 3 }),
        ]);
      } finally {
        await grafana.end();
      }
    });
  });
});
