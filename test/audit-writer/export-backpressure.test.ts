// Issue 14 item 10 (writer part, seed 001-03): a CSV/JSONL export streams with backpressure — a
// client that stops reading stops the keyset reads, so memory stays bounded whatever the export's
// size — and a malformed or out-of-range pagination cursor is a 400 problem, never a 500.
import http from 'node:http';
import type { Client } from 'pg';
import request from 'supertest';
import { waitFor } from '@vigil/testing';
import { AuditQueryRepository } from '../../apps/audit-writer/src/query/audit-query.repository';
import { startApp, type TestApp } from '../support/apps';
import { superuser, writerFixture } from './support';
import { tokenIssuer } from './tokens';

const ROWS = 40_000; // 20 export pages of 2000, ~25 MB of JSONL: far more than socket buffers hold

describe('audit export backpressure and cursor validation (issue 14 item 10)', () => {
  let t: TestApp;
  let db: Client;
  let issuer: Awaited<ReturnType<typeof tokenIssuer>>;
  let auditor: string;
  let base: string;

  beforeAll(async () => {
    const fx = await writerFixture('export-bp');
    issuer = await tokenIssuer();
    t = await startApp('audit-writer', {
      ...fx.env,
      AUTH_EVENTS_TOPIC: fx.auth,
      AUTH_JWKS_URL: issuer.jwksUrl,
    });
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    db = await superuser();
    // Rows written straight into the store (the export reads rows; how they arrived is beside the point).
    await db.query(
      `INSERT INTO "${t.schema}".audit_logs (event_id, created_at, action, outcome, producer, details, chain_id, chain_seq, prev_hash, hash)
       SELECT gen_random_uuid(), now() - make_interval(secs => g / 100.0), 'EXPORT_PROBE', 'success', 'test',
              jsonb_build_object('pad', repeat('x', 400), 'n', g), 'export-probe', g, repeat('0', 64), repeat('0', 64)
         FROM generate_series(1, ${ROWS}) g`,
    );
    await db.query(`ANALYZE "${t.schema}".audit_logs`);
    auditor = await issuer.sign({ sub: 'u-auditor-bp', roles: ['auditor'] });
    await waitFor(async () => (await request(t.app.getHttpServer()).get('/health')).status === 200, {
      timeoutMs: 60000,
      what: 'writer ready',
    });
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await issuer?.close();
  });

  it('a client that stops reading stops the database reads; resumed, it gets every row once', async () => {
    const repo = t.app.get(AuditQueryRepository);
    const original = repo.page.bind(repo);
    let slowest = 0;
    const pages = jest.spyOn(repo, 'page').mockImplementation(async (...args) => {
      const started = Date.now();
      try {
        return await original(...args);
      } finally {
        slowest = Math.max(slowest, Date.now() - started);
      }
    });
    try {
      let received = 0;
      let lines = 0;
      let ended = false;
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get(
            `${base}/api/v1/audit/logs?action=EXPORT_PROBE&format=jsonl&limit=${ROWS}`,
            { headers: { Authorization: `Bearer ${auditor}` } },
            resolve,
          )
          .on('error', reject);
      });
      expect(res.statusCode).toBe(200);
      res.on('data', (c: Buffer) => {
        received += c.length;
        for (const b of c) if (b === 10) lines++;
      });
      res.on('end', () => (ended = true));
      await waitFor(() => received > 0, { what: 'the first bytes' });
      res.pause(); // the slow reader: takes nothing more for a while
      // Let the server run as far as it would: quiet for several page reads' time means it stopped
      // (without backpressure it reads the next page as soon as the last one is written, up to all 20).
      const calls = await settled(
        () => pages.mock.calls.length,
        () => Math.max(1000, 4 * slowest),
      );
      expect(calls).toBeLessThanOrEqual(8);
      expect(ended).toBe(false);
      res.resume();
      await waitFor(() => ended, { timeoutMs: 60000, what: 'the export to end' });
      expect(lines).toBe(ROWS);
      expect(pages.mock.calls.length).toBe(ROWS / 2000);
      console.log(
        `export backpressure: ${calls} of ${ROWS / 2000} pages read while the client paused (slowest page ${slowest} ms); ${received} bytes in all`,
      );
    } finally {
      pages.mockRestore();
    }
  });

  it.each([
    ['not base64 of a position', Buffer.from('garbage').toString('base64url')],
    [
      'an id beyond bigint',
      Buffer.from('2025-01-15T09:30:00.000Z|99999999999999999999').toString('base64url'),
    ],
    ['a time out of the store range', Buffer.from('-271821-04-20T00:00:00.000Z|1').toString('base64url')],
    ['year zero', Buffer.from('0000-01-01T00:00:00.000Z|1').toString('base64url')],
    ['a day that does not exist', Buffer.from('2025-02-30T00:00:00.000Z|1').toString('base64url')],
    [
      'a loose date Postgres might read differently',
      Buffer.from('Tue, 15 Jan 2025 09:30:00 GMT|1').toString('base64url'),
    ],
    ['characters outside base64url', 'abc$def'],
  ])('a cursor that is %s is a 400 problem (JSON page and export)', async (_what, cursor) => {
    for (const format of ['json', 'csv']) {
      const res = await request(t.app.getHttpServer())
        .get(`/api/v1/audit/logs?format=${format}&cursor=${encodeURIComponent(cursor)}`)
        .set('Authorization', `Bearer ${auditor}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 400 });
    }
  });

  it('a cursor this API issued still pages', async () => {
    const first = await request(t.app.getHttpServer())
      .get('/api/v1/audit/logs?action=EXPORT_PROBE&limit=3')
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    const next = await request(t.app.getHttpServer())
      .get(`/api/v1/audit/logs?action=EXPORT_PROBE&limit=3&cursor=${first.body.nextCursor}`)
      .set('Authorization', `Bearer ${auditor}`)
      .expect(200);
    expect(next.body.items[0].details.n).toBe(first.body.items[2].details.n + 1);
  });
});

/** The value once it has not changed for `quietMs()` (the server has gone as far as it will). */
async function settled(read: () => number, quietMs: () => number): Promise<number> {
  let last = read();
  let since = Date.now();
  await waitFor(
    () => {
      const now = read();
      if (now !== last) [last, since] = [now, Date.now()];
      return Date.now() - since >= quietMs();
    },
    { timeoutMs: 60000, intervalMs: 50, what: 'page reads to settle' },
  );
  return last;
}
