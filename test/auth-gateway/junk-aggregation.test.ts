// Issue 14 item 10: cheap junk must not grow the audit store without bound. Junk bearer tokens, junk
// refresh tokens and requests from a blocked IP become, per client and window, one full event plus
// one JUNK_REQUESTS_AGGREGATED with the count; a client over the threshold gets 429 before any
// token or database work; a graceful stop flushes the open counts. Real gateway, Kafka, audit-writer
// (audit_logs rows) and security-monitor (seed 003-19's rule still fires on the aggregated volume).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { superuser } from '../audit-writer/support';
import {
  bootMonitor,
  collect,
  monitorFixture,
  ofRule,
  type AlertEvent,
  type Collector,
  type MonitorApp,
} from '../security-monitor/support';
import { startGateway, waitReady, type Gateway } from './support/gateway';
import { http } from './support/http';

const WINDOW_SECONDS = 2;
const REQUESTS = 500;

describe('auth-gateway: cheap junk is counted per client, not one audit row each (issue 14 item 10)', () => {
  let fx: Awaited<ReturnType<typeof monitorFixture>>;
  let g: Gateway;
  let writer: TestApp;
  let monitor: MonitorApp;
  let alerts: Collector<AlertEvent>;
  let db: Client;
  const env = () => ({
    KAFKA_TOPIC_AUTH_EVENTS: fx.input,
    JUNK_WINDOW_SECONDS: String(WINDOW_SECONDS),
    JUNK_THROTTLE_THRESHOLD: '100000',
  });

  beforeAll(async () => {
    fx = await monitorFixture('junk');
    g = await startGateway({ env: env() });
    await waitReady(g);
    writer = await startApp('audit-writer', {
      AUDIT_TOPICS: fx.input,
      KAFKA_GROUP_ID: `junk-writer-${fx.input}`,
      AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-junk-keys-')),
    });
    monitor = await bootMonitor(fx);
    alerts = await collect<AlertEvent>(fx.alerts);
    db = await superuser();
  });
  afterAll(async () => {
    await alerts?.stop();
    await db?.end();
    await monitor?.close();
    await writer?.close();
    await g?.close();
    await fx?.db.drop();
  });

  /** `n` requests, 25 at a time; each must get `status`. */
  async function flood(
    n: number,
    send: (i: number) => Promise<{ status: number }>,
    status: number,
  ): Promise<number> {
    const started = Date.now();
    for (let i = 0; i < n; i += 25) {
      const res = await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, j) => send(i + j)));
      for (const r of res) expect(r.status).toBe(status);
    }
    return Date.now() - started;
  }

  /** What audit_logs holds for one client address: its full rows of `action`, and its aggregates. */
  async function stored(ip: string, action: string) {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE action = $2)::int AS full,
              count(*) FILTER (WHERE action = 'JUNK_REQUESTS_AGGREGATED')::int AS aggregates,
              coalesce(sum((details->'attributes'->>'count')::int) FILTER (WHERE action = 'JUNK_REQUESTS_AGGREGATED'), 0)::int AS counted,
              count(*)::int AS total
         FROM "${writer.schema}".audit_logs WHERE ip_address = $1::inet`,
      [ip, action],
    );
    return rows[0] as { full: number; aggregates: number; counted: number; total: number };
  }

  /** Waits until every one of `n` requests is accounted for, then checks the rows stayed bounded. */
  async function expectBounded(ip: string, action: string, n: number, elapsedMs: number) {
    const s = await waitFor(
      async () => {
        const x = await stored(ip, action);
        return x.full + x.counted >= n ? x : undefined;
      },
      { timeoutMs: 30000, what: `${n} junk requests from ${ip} accounted for in audit_logs` },
    );
    expect(s.full).toBe(1); // the first of the window, in full (detection latency unchanged)
    expect(s.counted).toBe(n - 1); // the count in the aggregates is the requests, none lost or doubled
    // One aggregate per window the flood spanned (plus the one it straddles), not one row per request.
    expect(s.aggregates).toBeGreaterThanOrEqual(1);
    expect(s.aggregates).toBeLessThanOrEqual(Math.ceil(elapsedMs / (WINDOW_SECONDS * 1000)) + 1);
    expect(s.total).toBe(s.full + s.aggregates);
    return s;
  }

  it(`seed 003-19: ${REQUESTS} junk bearer tokens from one IP are 1 TOKEN_VALIDATION_FAILED + aggregates counting ${REQUESTS - 1}; another IP is unaffected; the per-IP rule fires on the volume`, async () => {
    const ip = '198.51.100.71';
    const other = '198.51.100.72';
    const junk = (from: string) =>
      http(g)
        .get('/api/v1/auth/me')
        .set('X-Forwarded-For', from)
        .set('Authorization', `Bearer ${randomBytes(12).toString('hex')}.x.y`);
    const elapsed = await flood(REQUESTS, () => junk(ip), 401);
    await flood(3, () => junk(other), 401);

    await expectBounded(ip, 'TOKEN_VALIDATION_FAILED', REQUESTS, elapsed);
    expect(
      await waitFor(
        async () =>
          (await stored(other, 'TOKEN_VALIDATION_FAILED')).counted === 2
            ? stored(other, 'TOKEN_VALIDATION_FAILED')
            : undefined,
        { timeoutMs: 20000, what: 'the other IP' },
      ),
    ).toEqual({
      full: 1,
      aggregates: 1,
      counted: 2,
      total: 2,
    });
    const { rows } = await db.query(
      `SELECT details->'attributes' AS a FROM "${writer.schema}".audit_logs WHERE ip_address = $1::inet AND action = 'JUNK_REQUESTS_AGGREGATED' ORDER BY created_at LIMIT 1`,
      [ip],
    );
    expect(rows[0].a).toMatchObject({
      kind: 'bearer_token',
      aggregates: 'TOKEN_VALIDATION_FAILED',
      scope: 'ip',
      reasons: ['malformed'],
      routes: ['/api/v1/auth/me'],
      windowSeconds: WINDOW_SECONDS,
    });

    // Seed 003-19 ("repeated token validation failures within 10 minutes"): the monitor counts the
    // aggregate as its count, so the alert fires although the IP has only a handful of events.
    const fired = await waitFor(
      () =>
        ofRule(alerts.events, 'token-validation-failures-per-ip', ip).find(
          (a) => a.attributes.status === 'firing',
        ),
      {
        timeoutMs: 30000,
        what: 'token-validation-failures-per-ip firing for the flooding IP',
      },
    );
    // One event plus the first aggregate's count: more than the IP's rows (the full event and every
    // aggregate). How many requests the first 2 s window holds depends on the machine's load.
    const rowsForIp = await stored(ip, 'TOKEN_VALIDATION_FAILED');
    expect(fired.attributes.count).toBeGreaterThan(rowsForIp.full + rowsForIp.aggregates);
    expect(ofRule(alerts.events, 'token-validation-failures-per-ip', other)).toEqual([]); // 3 failures: below the rule
  });

  it(`junk refresh tokens from one IP (malformed and well-formed unknown): 1 TOKEN_VALIDATION_FAILED + aggregates counting ${REQUESTS - 1}`, async () => {
    const ip = '198.51.100.81';
    const token = (i: number) => (i % 2 ? `vrt_${randomBytes(32).toString('base64url')}` : `junk-${i}`);
    const elapsed = await flood(
      REQUESTS,
      (i) =>
        http(g)
          .post('/api/v1/auth/refresh')
          .set('X-Forwarded-For', ip)
          .send({ refreshToken: token(i) }),
      401,
    );
    await expectBounded(ip, 'TOKEN_VALIDATION_FAILED', REQUESTS, elapsed);
    const { rows } = await db.query(
      `SELECT details->'attributes' AS a FROM "${writer.schema}".audit_logs WHERE ip_address = $1::inet AND action = 'JUNK_REQUESTS_AGGREGATED'`,
      [ip],
    );
    expect(rows.every((r) => r.a.kind === 'refresh_token')).toBe(true);
    expect(new Set(rows.flatMap((r) => r.a.reasons))).toEqual(new Set(['refresh_unknown']));
  });

  it(`seed 003-25: ${REQUESTS} requests from a blocked IP are 1 ACCESS_DENIED (ip_blocked) + aggregates counting ${REQUESTS - 1}`, async () => {
    const ip = '198.51.100.91';
    await g.sql(
      `INSERT INTO ip_blocks (ip, blocked_until, reason) VALUES ($1, now() + interval '10 minutes', 'admin')`,
      [ip],
    );
    const elapsed = await flood(
      REQUESTS,
      (i) =>
        http(g)
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', ip)
          .send({ username: `u${i}`, password: 'x' }),
      403,
    );
    await expectBounded(ip, 'ACCESS_DENIED', REQUESTS, elapsed);
  });

  it('seed 000-04: beyond the threshold a client gets 429 with Retry-After (problem body) before any token work, counted too; other clients are not throttled', async () => {
    const t = await startGateway({
      shareWith: g,
      env: { ...env(), JUNK_THROTTLE_THRESHOLD: '20', JUNK_WINDOW_SECONDS: '30' },
    });
    try {
      await waitReady(t);
      const ip = '198.51.100.101';
      const junk = (from: string) =>
        http(t)
          .get('/api/v1/auth/me')
          .set('X-Forwarded-For', from)
          .set('Authorization', 'Bearer not.a.token');
      await flood(20, () => junk(ip), 401);
      const limited = await junk(ip);
      expect(limited.status).toBe(429);
      expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(limited.body).toMatchObject({
        status: 429,
        type: 'https://vigil.dev/problems/too-many-requests',
      });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(30);
      // Throttled means throttled: even a well-formed login from that address waits; health does not.
      await flood(
        29,
        () =>
          http(t)
            .post('/api/v1/auth/login')
            .set('X-Forwarded-For', ip)
            .send({ username: 'x', password: 'y' }),
        429,
      );
      expect((await http(t).get('/api/v1/health').set('X-Forwarded-For', ip)).status).toBe(200);
      // Another client is unaffected.
      expect((await junk('198.51.100.102')).status).toBe(401);

      await t.close(); // a graceful stop flushes the open 30-second windows
      const s = await waitFor(
        async () => {
          const x = await stored(ip, 'RATE_LIMITED');
          return x.full === 1 && x.counted >= 29 + 19 ? x : undefined;
        },
        { timeoutMs: 30000, what: '429s and junk of the throttled client in audit_logs' },
      );
      // 20 refused tokens (1 full + 19 counted) and 30 throttled (1 RATE_LIMITED + 29 counted): 4 rows for 50 requests.
      expect(s).toEqual({ full: 1, aggregates: 2, counted: 48, total: 4 });
    } finally {
      await t.close().catch(() => undefined);
    }
  });

  it('a graceful stop flushes the pending aggregate (window far from over): no count is lost', async () => {
    const s = await startGateway({ shareWith: g, env: { ...env(), JUNK_WINDOW_SECONDS: '3600' } });
    await waitReady(s);
    const ip = '198.51.100.111';
    await flood(
      50,
      () =>
        http(s)
          .get('/api/v1/auth/me')
          .set('X-Forwarded-For', ip)
          .set('Authorization', 'Bearer junk.junk.junk'),
      401,
    );
    await s.close();
    const x = await waitFor(
      async () => {
        const y = await stored(ip, 'TOKEN_VALIDATION_FAILED');
        return y.counted > 0 ? y : undefined;
      },
      { timeoutMs: 30000, what: 'the aggregate flushed on stop' },
    );
    expect(x).toEqual({ full: 1, aggregates: 1, counted: 49, total: 2 });
  });
});
