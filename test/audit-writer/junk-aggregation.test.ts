// Issue 14 item 10 at the audit API: a junk bearer token costs the sender nothing, so it must not
// cost the audit store a row each. Per client and window the first refused token is recorded in
// full and the rest are counted into JUNK_REQUESTS_AGGREGATED; a client over the threshold gets 429
// (Retry-After, problem body) before any token verification; a graceful stop flushes the open
// counts. Real writer (its own rows in audit_logs), Kafka and PostgreSQL.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Client } from 'pg';
import { Topics, type EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { collect, type Collector } from '../security-monitor/support';
import { superuser, writerFixture } from './support';
import { tokenIssuer } from './tokens';

const WINDOW_SECONDS = 8;
const THRESHOLD = 300;
const CLIENT = '127.0.0.1'; // supertest's socket peer (::ffff:127.0.0.1, normalised)

describe('audit API: junk tokens are counted per client, not one audit row each (issue 14 item 10)', () => {
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let t: TestApp | undefined;
  let db: Client;
  let issuer: Awaited<ReturnType<typeof tokenIssuer>>;
  let onTopic: Collector<EventEnvelope>;
  let server: ReturnType<TestApp['app']['getHttpServer']>;
  const junk = () =>
    request(server)
      .get('/api/v1/audit/logs')
      .set('Authorization', `Bearer ${randomBytes(12).toString('hex')}.x.y`);

  beforeAll(async () => {
    fx = await writerFixture('junk');
    issuer = await tokenIssuer();
    t = await startApp('audit-writer', {
      ...fx.env,
      AUDIT_TOPICS: `${fx.auth},${Topics.OPS_EVENTS}`,
      AUTH_EVENTS_TOPIC: fx.auth,
      AUTH_JWKS_URL: issuer.jwksUrl,
      JUNK_WINDOW_SECONDS: String(WINDOW_SECONDS),
      JUNK_THROTTLE_THRESHOLD: String(THRESHOLD),
    });
    server = t.app.getHttpServer();
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'the producer' });
    db = await superuser();
    onTopic = await collect<EventEnvelope>(fx.auth);
  });
  afterAll(async () => {
    await onTopic?.stop();
    await db?.end();
    await t?.close();
    await issuer?.close();
  });

  /** The writer's own rows for the client: refused tokens in full, aggregates and what they count. */
  async function stored(schema: string) {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE action = 'TOKEN_VALIDATION_FAILED')::int AS full,
              count(*) FILTER (WHERE action = 'RATE_LIMITED')::int AS limited,
              count(*) FILTER (WHERE action = 'JUNK_REQUESTS_AGGREGATED' AND details->'attributes'->>'kind' = 'bearer_token')::int AS aggregates,
              coalesce(sum((details->'attributes'->>'count')::int) FILTER (WHERE action = 'JUNK_REQUESTS_AGGREGATED' AND details->'attributes'->>'kind' = 'bearer_token'), 0)::int AS counted,
              coalesce(sum((details->'attributes'->>'count')::int) FILTER (WHERE action = 'JUNK_REQUESTS_AGGREGATED' AND details->'attributes'->>'kind' = 'throttled'), 0)::int AS throttled
         FROM "${schema}".audit_logs WHERE ip_address = $1::inet AND producer = 'audit-writer'`,
      [CLIENT],
    );
    return rows[0] as {
      full: number;
      limited: number;
      aggregates: number;
      counted: number;
      throttled: number;
    };
  }

  it('300 junk bearer tokens are 1 TOKEN_VALIDATION_FAILED + aggregates counting 299; the next request is 429 before verification, with Retry-After', async () => {
    const started = Date.now();
    for (let i = 0; i < THRESHOLD; i += 25) {
      const res = await Promise.all(Array.from({ length: 25 }, junk));
      for (const r of res) expect(r.status).toBe(401);
    }
    // The throttle counts per window: the flood has to fit in one for the 429 to be due.
    expect(Date.now() - started).toBeLessThan(WINDOW_SECONDS * 1000 - 1000);

    // Over the threshold: 429 whatever the token (a valid one too), with a problem body and Retry-After.
    const admin = await issuer.sign({ sub: 'u-admin-1', roles: ['admin'] });
    for (const req of [
      junk(),
      request(server).get('/api/v1/audit/logs').set('Authorization', `Bearer ${admin}`),
      junk(),
    ]) {
      const res = await req;
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
      const wait = Number(res.headers['retry-after']);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(WINDOW_SECONDS);
    }
    // Health is never throttled.
    await request(server).get('/health/live').expect(200);

    const s = await waitFor(
      async () => {
        const x = await stored(t!.schema);
        return x.counted >= THRESHOLD - 1 && x.throttled >= 2 ? x : undefined;
      },
      { timeoutMs: WINDOW_SECONDS * 1000 + 20_000, what: 'the window aggregates in audit_logs' },
    );
    expect(s).toEqual({ full: 1, limited: 1, aggregates: 1, counted: THRESHOLD - 1, throttled: 2 });
    const { rows } = await db.query(
      `SELECT details->'attributes' AS a FROM "${t!.schema}".audit_logs WHERE action = 'JUNK_REQUESTS_AGGREGATED' AND details->'attributes'->>'kind' = 'bearer_token'`,
    );
    expect(rows[0].a).toMatchObject({
      aggregates: 'TOKEN_VALIDATION_FAILED',
      scope: 'ip',
      reasons: ['malformed'],
      routes: ['/api/v1/audit/logs'],
      windowSeconds: WINDOW_SECONDS,
    });
  });

  it('seed 001-07: the security summary lists JUNK_REQUESTS_AGGREGATED with the security events', async () => {
    const admin = await issuer.sign({ sub: 'u-admin-1', roles: ['admin'] });
    const res = await request(server)
      .get('/api/v1/audit/security')
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    expect(res.body.counts).toEqual(
      expect.arrayContaining([
        { action: 'JUNK_REQUESTS_AGGREGATED', count: 2 },
        { action: 'TOKEN_VALIDATION_FAILED', count: 1 },
        { action: 'RATE_LIMITED', count: 1 },
      ]),
    );
  });

  it('a graceful stop publishes the counts of the open window', async () => {
    const since = new Date().toISOString();
    for (let i = 0; i < 4; i++) expect((await junk()).status).toBe(401);
    const app = t!;
    t = undefined;
    await app.close();
    const after = (e: EventEnvelope) => e.occurredAt >= since && e.source?.ip === CLIENT;
    const flushed = await waitFor(
      () =>
        onTopic.events.find(
          (e) =>
            after(e) &&
            e.type === 'JUNK_REQUESTS_AGGREGATED' &&
            (e.attributes as { kind: string }).kind === 'bearer_token',
        ),
      { timeoutMs: 20_000, what: 'the aggregate flushed on stop' },
    );
    expect(flushed.producer).toBe('audit-writer');
    // The four are all counted (the window runs on under junk), or the first in full if the client had gone quiet.
    const full = onTopic.events.filter((e) => after(e) && e.type === 'TOKEN_VALIDATION_FAILED').length;
    expect((flushed.attributes as { count: number }).count + full).toBe(4);
  });
});
