// Issue 15: the retention worker ages out audit_logs by whole daily partitions through verified
// archives (seeds 000-13, 000-28, 000-29, 001-02, 001-24, 001-64, 002-16, 002-17, 004-25), keeps
// what legal holds name, restores archives for search (001-53) and reports (001-26). Against the
// real PostgreSQL, Kafka, S3Proxy and the audit-writer that signs the retention cuts.
// Telemetry before the apps, as main.ts does: the metrics are read from /metrics.
import { startTelemetry } from '@vigil/telemetry/register';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import request from 'supertest';
import { waitFor } from '@vigil/testing';
import { createArchiveStore } from '../../apps/retention-worker/src/archive/archive-store.factory';
import { loadRetentionWorkerConfig } from '../../apps/retention-worker/src/config';
import { dayOf, partitionOf, retentionFixture, runRetentionCli, type RetentionFixture } from './support';

// Days before today with rows; hot window 3 days, so 9..4 are past it, 1 stays hot.
startTelemetry('retention-worker');

const OLD = [9, 8, 7, 6];
const HOT = 1;

describe('retention worker: archive, verify, cut, detach, drop', () => {
  let f: RetentionFixture;
  const api = () => request(f.worker.app.getHttpServer());
  const writerApi = () => request(f.writer.app.getHttpServer());
  let holdId: string;

  beforeAll(async () => {
    f = await retentionFixture('ret', [...OLD, HOT]);
  });
  afterAll(async () => f?.close());

  it('shows the policy as data (seed 000-28: 90 days hot by default; here 3 for the test; admin classes 7 years)', async () => {
    const r = await api()
      .get('/api/v1/retention/policy')
      .set('Authorization', `Bearer ${f.admin}`)
      .expect(200);
    expect(r.body).toMatchObject({ hotDays: 3, archiveDays: 365, schedule: 'off', detachedGraceHours: 0 });
    expect(r.body.classes).toEqual([
      expect.objectContaining({
        name: 'admin-7y',
        archiveDays: 2555,
        actions: expect.arrayContaining(['AUDIT_LOG_READ', 'ROLE_CHANGED']),
      }),
    ]);
    expect(() =>
      loadRetentionWorkerConfig({ RETENTION_HOT_DAYS: '400', RETENTION_ARCHIVE_DAYS: '365' }),
    ).toThrow(/archiveDays \(365\) must be at least hotDays \(400\)/);
    expect(() => loadRetentionWorkerConfig({ RETENTION_SCHEDULE: 'hourly' })).toThrow(/schedule/);
  });

  it('non-admins get 403 and anonymous callers 401 on cleanup, holds and restore', async () => {
    for (const path of ['/api/v1/audit/cleanup', '/api/v1/retention/holds', '/api/v1/retention/restore']) {
      await api().post(path).set('Authorization', `Bearer ${f.auditor}`).send({ dry_run: true }).expect(403);
      await api().post(path).send({ dry_run: true }).expect(401);
    }
    await api()
      .post('/api/v1/audit/cleanup')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ retention_days: 1, dry_run: true })
      .expect(400);
    await api()
      .post('/api/v1/audit/cleanup')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ retention_days: 'x' })
      .expect(400);
  });

  it('seed 001-24: the dry run reports the partitions, rows and bytes that would move and changes nothing', async () => {
    const before = await f.partitions();
    const r = await api()
      .post('/api/v1/audit/cleanup')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ retention_days: 3, dry_run: true })
      .expect(200);
    expect(r.body.dryRun).toBe(true);
    expect(r.body.partitions.map((p: { name: string }) => p.name)).toEqual(OLD.map(partitionOf).sort());
    expect(r.body.totals).toEqual({ partitions: 4, rows: 4 * 22, bytes: expect.any(Number) });
    expect(r.body.totals.bytes).toBeGreaterThan(0);
    expect(r.body.partitions[0].classes).toEqual([
      { name: 'admin-7y', rows: 2, archiveDays: 2555 },
      { name: 'default', rows: 20, archiveDays: 365 },
    ]);
    expect(await f.partitions()).toEqual(before);
    expect(
      (await f.db.query(`SELECT count(*)::int AS n FROM "${f.writer.schema}".archive_manifests`)).rows[0].n,
    ).toBe(0);
    expect((await f.outbox('RETENTION_RUN')).map((e) => e.attributes)).toEqual([
      expect.objectContaining({ dryRun: true, partitionsDropped: 0, rowsArchived: 0 }),
    ]);
  });

  it('a legal hold needs a reason and a scope, and is an event', async () => {
    await api()
      .post('/api/v1/retention/holds')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ from: `${dayOf(8)}T00:00:00Z` })
      .expect(400);
    await api()
      .post('/api/v1/retention/holds')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ reason: 'no scope' })
      .expect(400);
    const r = await api()
      .post('/api/v1/retention/holds')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ from: `${dayOf(8)}T00:00:00Z`, to: `${dayOf(8)}T23:59:59Z`, reason: 'litigation 2026-17' })
      .expect(201);
    holdId = r.body.holdId;
    expect(
      (await api().get('/api/v1/retention/holds').set('Authorization', `Bearer ${f.admin}`).expect(200)).body
        .items,
    ).toEqual([expect.objectContaining({ holdId, reason: 'litigation 2026-17' })]);
    expect((await f.outbox('LEGAL_HOLD_SET'))[0]).toMatchObject({
      actor: { roles: ['admin'] },
      attributes: { holdId, reason: 'litigation 2026-17' },
    });
  });

  it('seeds 000-29, 002-16, 002-17, 001-64: archives each class redacted, verifies it, has the writer sign cuts, detaches and drops; the held day stays; the store still verifies ("archived up to N")', async () => {
    const r = await api()
      .post('/api/v1/audit/cleanup')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ retention_days: 3 })
      .expect(200);
    expect(r.body.failures).toEqual([]);
    expect(r.body.outcome).toBe('success');
    const gone = OLD.filter((n) => n !== 8)
      .map(partitionOf)
      .sort();
    expect(r.body.detached.sort()).toEqual(gone);
    expect(r.body.held).toEqual([partitionOf(8)]);
    expect(r.body.archived).toHaveLength(6); // two classes for each of three days
    expect(r.body.dropped).toHaveLength(3); // grace 0 h: dropped in the same run

    const parts = await f.partitions();
    for (const p of gone) expect(parts).not.toContain(p);
    expect(parts).toContain(partitionOf(8));
    // seed 001-64: what is older than the hot window is exactly the held day, and the report says why.
    const old = await f.db.query(
      `SELECT count(*)::int AS n FROM "${f.writer.schema}".audit_logs WHERE created_at < now() - interval '3 days'`,
    );
    expect(old.rows[0].n).toBe(22);
    const rep = await api()
      .get('/api/v1/retention/report')
      .set('Authorization', `Bearer ${f.auditor}`)
      .expect(200);
    expect(rep.body.hot.explained).toEqual([
      { partition: partitionOf(8), rows: 22, why: `legal hold ${holdId}` },
    ]);
    expect(rep.body.archives).toEqual([
      expect.objectContaining({ className: 'admin-7y', archives: 3, rows: 6 }),
      expect.objectContaining({ className: 'default', archives: 3, rows: 60 }),
    ]);

    // Archives: the object's SHA-256 is the manifest's, the admin class kept 7 years, PII redacted.
    const manifests = (
      await f.db.query(`SELECT * FROM "${f.writer.schema}".archive_manifests ORDER BY day, class`)
    ).rows;
    expect(manifests).toHaveLength(6);
    for (const m of manifests) {
      expect(m.verified_at).not.toBeNull();
      expect(m.consumed_at).not.toBeNull();
      const days = (new Date(m.retain_until).getTime() - new Date(m.day).getTime()) / 86_400_000;
      expect(Math.round(days)).toBe(m.class === 'admin-7y' ? 2556 : 366);
    }
    const store = createArchiveStore(loadRetentionWorkerConfig({ ...f.workerEnv }));
    const lines: Array<Record<string, unknown>> = [];
    const body = await store.get(manifests.find((m) => m.class === 'default').object_key);
    for await (const line of createInterface({ input: body.pipe(createGunzip()) }))
      lines.push(JSON.parse(line));
    expect(lines).toHaveLength(20);
    for (const l of lines) {
      expect(l.ip_address).toMatch(/^198\.51\.100\.0$/); // network only (/24)
      expect(l.user_agent).toBeNull();
      expect(l.username).toBeNull();
      expect(l.pii_salt).toBeNull();
      expect(l.ip_digest).toMatch(/^[0-9a-f]{64}$/);
    }

    // The chains verify, with the dropped rows as signed archived ranges.
    const v = await f.verify();
    expect(v.out).toMatch(/archived up to \d+ \(policy hot-3d/);
    expect(v.out).toContain('VERIFIED');
    expect(v.code).toBe(0);

    const types = (await f.outbox()).map((e) => e.type);
    for (const t of ['ARCHIVE_WRITTEN', 'ARCHIVE_VERIFIED', 'PARTITION_DROPPED', 'RETENTION_RUN'])
      expect(types).toContain(t);
    expect((await f.outbox('PARTITION_DROPPED')).map((e) => e.attributes.stage).sort()).toEqual([
      'detached',
      'detached',
      'detached',
      'dropped',
      'dropped',
      'dropped',
    ]);
    expect(await f.rowsOn(HOT)).toBe(22);
  });

  it('seed 001-53: one archived day restores into the restore schema, verified, searchable with source=restored and never in audit_logs', async () => {
    const r = await api()
      .post('/api/v1/retention/restore')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ day: dayOf(7) })
      .expect(200);
    expect(r.body).toMatchObject({ rows: 22, table: `${f.restoreSchema}.audit_logs_restored` });
    expect(r.body.archives).toHaveLength(2);
    const n = await f.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT hash)::int AS h FROM "${f.restoreSchema}".audit_logs_restored`,
    );
    expect(n.rows[0]).toEqual({ n: 22, h: 22 });
    expect(await f.rowsOn(7)).toBe(0);
    const found = await writerApi()
      .get(`/api/v1/audit/logs?source=restored&action=FAILED_AUTH_LOGIN&limit=100`)
      .set('Authorization', `Bearer ${f.auditor}`)
      .expect(200);
    expect(found.body.items).toHaveLength(20);
    expect(found.body.items[0].createdAt.slice(0, 10)).toBe(dayOf(7));
    expect((await f.outbox('RESTORE_DONE')).length).toBe(2);
    await api()
      .post('/api/v1/retention/restore')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ day: '2001-01-01' })
      .expect(404);
  });

  it('a restore refuses an archive whose object no longer matches its manifest, and restores nothing', async () => {
    const all = (
      await f.db.query(
        `SELECT archive_id, day::text, class, object_key FROM "${f.writer.schema}".archive_manifests`,
      )
    ).rows;
    const m = all.find((x) => x.day === dayOf(6) && x.class === 'default');
    const store = createArchiveStore(loadRetentionWorkerConfig({ ...f.workerEnv }));
    const { Readable } = await import('node:stream');
    const { gzipSync } = await import('node:zlib');
    await store.put(m.object_key, Readable.from([gzipSync('{"tampered":true}\n')]));
    const r = await api()
      .post('/api/v1/retention/restore')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ archive_id: m.archive_id })
      .expect(400);
    expect(r.body.detail).toMatch(/does not verify; nothing restored/);
    const n = await f.db.query(
      `SELECT count(*)::int AS n FROM "${f.restoreSchema}".audit_logs_restored WHERE archive_id = $1`,
      [m.archive_id],
    );
    expect(n.rows[0].n).toBe(0);
  });

  it('a released hold lets the next run archive and drop that day too; the release is an event', async () => {
    await api()
      .post(`/api/v1/retention/holds/${holdId}/release`)
      .set('Authorization', `Bearer ${f.admin}`)
      .send({})
      .expect(400);
    await api()
      .post(`/api/v1/retention/holds/${holdId}/release`)
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ reason: 'case closed' })
      .expect(200);
    expect((await f.outbox('LEGAL_HOLD_RELEASED'))[0].attributes).toMatchObject({
      holdId,
      reason: 'case closed',
    });
    const r = await api()
      .post('/api/v1/audit/cleanup')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({})
      .expect(200);
    expect(r.body.detached).toEqual([partitionOf(8)]);
    expect(await f.rowsOn(8)).toBe(0);
    const v = await f.verify();
    expect(v.code).toBe(0);
  });
});

describe('retention worker: who may remove audit rows, and what it reports', () => {
  let f: RetentionFixture;

  beforeAll(async () => {
    f = await retentionFixture('retroles', [5, 1]);
  });
  afterAll(async () => f?.close());

  /** Runs `sql` as `role` (roles made by deploy/local/db-setup.js; grants by the writer's migration). */
  async function as(role: string, sql: string, params: unknown[] = []): Promise<string> {
    await f.db.query('BEGIN');
    try {
      await f.db.query(`SET LOCAL ROLE ${role}`);
      await f.db.query(sql, params);
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await f.db.query('ROLLBACK');
    }
  }

  it('only the retention role may call the guard functions, nobody may DROP, DELETE or DETACH directly, and the guard refuses a partition without verified archives', async () => {
    const s = `"${f.writer.schema}"`;
    const part = partitionOf(5);
    expect(await as('vigil_retention', `DROP TABLE ${s}.${part}`)).toMatch(/must be owner/);
    expect(await as('vigil_retention', `ALTER TABLE ${s}.audit_logs DETACH PARTITION ${s}.${part}`)).toMatch(
      /must be owner/,
    );
    expect(await as('vigil_retention', `DELETE FROM ${s}.audit_logs`)).toMatch(/permission denied/);
    expect(
      await as('vigil_audit_writer', `SELECT ${s}.retention_detach_partition($1, interval '0')`, [part]),
    ).toMatch(/permission denied for function/);
    expect(
      await as('vigil_retention', `SELECT ${s}.retention_detach_partition($1, interval '0')`, [part]),
    ).toMatch(/holds 22 rows but verified archives cover 0/);
    expect(
      await as('vigil_retention', `SELECT ${s}.retention_detach_partition($1, interval '0')`, [
        'audit_logs; DROP TABLE x',
      ]),
    ).toMatch(/not an audit partition name/);
    expect(await f.rowsOn(5)).toBe(22);
  });

  it('seed 001-26: npm run retention -- policy | report | run --dry-run | holds, as an operator runs them', async () => {
    const policy = await runRetentionCli(['policy', '--json'], f.cliEnv);
    expect(policy.code).toBe(0);
    expect(JSON.parse(policy.out)).toMatchObject({ hotDays: 3, archiveDays: 365 });
    const bad = await runRetentionCli(['policy'], { ...f.cliEnv, RETENTION_SCHEDULE: 'sometimes' });
    expect(bad.code).toBe(78);
    expect(bad.err).toMatch(/schedule/);
    expect((await runRetentionCli(['purge'], f.cliEnv)).code).toBe(2);

    const dry = await runRetentionCli(['run', '--dry-run'], f.cliEnv);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`would archive and drop 1 partition(s), 22 row(s)`);
    expect(dry.out).toContain(partitionOf(5));
    const report = await runRetentionCli(['report'], f.cliEnv);
    expect(report.code).toBe(0);
    expect(report.out).toMatch(
      /rows older than 3 d: 22\n\s+audit_logs_\d{8}: 22 row\(s\): due: the next retention run archives and drops it/,
    );
    const json = JSON.parse((await runRetentionCli(['report', '--json'], f.cliEnv)).out);
    expect(json.hot.rowsOlderThanPolicy).toBe(22);

    const set = await runRetentionCli(
      ['holds', 'set', '--action', 'ROLE_CHANGED', '--reason', 'audit 2026-Q4', '--json'],
      f.cliEnv,
    );
    expect(set.code).toBe(0);
    const hold = JSON.parse(set.out);
    expect(hold.createdBy).toMatch(/^cli:/);
    expect(
      (await runRetentionCli(['holds', 'release', hold.holdId, '--reason', 'done'], f.cliEnv)).out,
    ).toContain(`released ${hold.holdId}`);
    expect((await f.outbox('LEGAL_HOLD_RELEASED')).map((e) => e.actor.userId)).toEqual([hold.createdBy]);
  });

  it('seeds 000-33, 001-26: metrics for the last run, rows and bytes archived and the oldest hot row; the report; every ops event reaches the bus', async () => {
    const r = await request(f.worker.app.getHttpServer())
      .post('/api/v1/audit/cleanup')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({})
      .expect(200);
    expect(r.body).toMatchObject({ outcome: 'success', detached: [partitionOf(5)] });
    const metrics = (await request(f.worker.app.getHttpServer()).get('/metrics').expect(200)).text;
    for (const name of [
      'retention_last_success_timestamp_seconds',
      'retention_oldest_hot_row_age_seconds',
      'retention_rows_archived_total',
      'retention_archived_bytes_total',
      'retention_runs_total',
      'retention_partitions_detached_total',
    ])
      expect(metrics).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? [0-9.e+]+$`, 'm'));
    const rep = await request(f.worker.app.getHttpServer())
      .get('/api/v1/retention/report')
      .set('Authorization', `Bearer ${f.auditor}`)
      .expect(200);
    expect(rep.body.hot).toMatchObject({ rowsOlderThanPolicy: 0, explained: [] });
    expect(rep.body.lastRun).toMatchObject({ runId: r.body.runId, outcome: 'success' });
    // The outbox relay publishes to ops.events.v1: nothing stays pending.
    await waitFor(
      async () =>
        (
          await f.db.query(
            `SELECT count(*)::int AS n FROM "${f.worker.schema}".ops_outbox WHERE published_at IS NULL`,
          )
        ).rows[0].n === 0,
      {
        what: 'ops events published',
      },
    );
  });
});
