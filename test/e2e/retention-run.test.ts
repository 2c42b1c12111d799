// Issue 18 item 1, the last scenario: a retention run archives, drops and still verifies, end to end.
// The stack runs as deployed (test/e2e/support/stack.ts: the gateway, the audit-writer that signs
// the retention cuts, the monitor) with a retention worker beside it, its API behind the gateway's
// tokens. Logins from days ago reach the auth topic before any service starts (so they open the
// chain, as old rows do in a store that has been running), a login through the gateway today stays
// hot, and the operator's `npm run retention -- run` (the CLI, its own process) archives the old
// days to the S3 store, has the writer sign the cut, and drops their partitions. Then: each day's
// archives restore through the worker's API (the restore checks the object against its manifest,
// every row's hash and the signed cut), the audit API no longer finds the old days, the worker's
// report has nothing past policy, the run is a RETENTION_RUN event on ops.events.v1, and
// `npm run audit:verify` passes on what remains ("archived up to N", today's rows valid).
//
// Not redone here: test/retention-worker/retention.test.ts (the cleanup API's dry run, holds,
// redaction, metrics, a tampered archive refused) and test/operations/vigil-cli-data.test.ts
// (`vigil retention run` in-process).
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Client } from 'pg';
import { Topics, type EventEnvelope } from '@vigil/contracts';
import { toMessage } from '@vigil/kafka';
import { testDatabaseUrl, testKafka, uniqueTopic, waitFor } from '@vigil/testing';
import { login as loginEvent, runAuditCli, superuser } from '../audit-writer/support';
import { TopicTap } from '../auth-gateway/support/gateway';
import { startApp, type TestApp } from '../support/apps';
import { s3ProxyEnv } from '../support/s3';
import { auditRead, dayOf, daysAgo, partitionOf, runRetentionCli } from '../retention-worker/support';
import { startStack, type Stack } from './support/stack';

/** Days before today with rows; the hot window is 3 days, so both are past it. */
const OLD = [9, 8];
const HOT_DAYS = 3;
/** Per old day: logins of one past user from 10 minutes, and one auditor's read (the 7-year class). */
const LOGINS_PER_DAY = 10;
const PAST_USER = randomUUID();

interface AuditPage {
  items: Array<{ eventId: string; createdAt: string; chainId: string; chainSeq: string }>;
}

describe('issue 18: a retention run through the CLI archives, drops and the store still verifies', () => {
  let stack: Stack;
  let worker: TestApp;
  let ops: TopicTap;
  let db: Client;
  let cliEnv: Record<string, string>;
  const restoreSchema = `restore_e2e_${Date.now().toString(36)}`;
  const old: EventEnvelope[] = OLD.flatMap((n) => [
    ...Array.from({ length: LOGINS_PER_DAY }, (_, k) => loginEvent(PAST_USER, daysAgo(n, k))),
    auditRead(daysAgo(n, 30)),
  ]);
  let todayLogin: string;
  let run: {
    runId: string;
    outcome: string;
    archived: Array<{
      archiveId: string;
      partition: string;
      className: string;
      rows: number;
      sha256: string;
    }>;
    detached: string[];
    dropped: string[];
    failures: unknown[];
  };

  const auditApi = (url: string) =>
    request(stack.writer.app.getHttpServer()).get(url).set('Authorization', `Bearer ${stack.admin}`);
  const dayRange = (n: number) => `from=${dayOf(n)}T00:00:00Z&to=${dayOf(n - 1)}T00:00:00Z`;

  beforeAll(async () => {
    stack = await startStack('retention-e2e', {
      // One auth topic (the monitor's input, one partition: one chain) that exists before the
      // services: the past days' events are on it first, so they open the chain.
      detection: true,
      before: async (fx) => {
        const producer = testKafka('vigil-test-past').producer();
        await producer.connect();
        try {
          await producer.send({
            topic: fx.input,
            messages: old.map((e) => ({ ...toMessage(e), partition: 0 })),
          });
        } finally {
          await producer.disconnect();
        }
      },
    });
    db = await superuser();
    const jwks = stack.writerEnv.AUTH_JWKS_URL;
    const workerEnv = {
      ...s3ProxyEnv(),
      ARCHIVE_S3_PREFIX: `test/${randomUUID()}`,
      AUDIT_DB_SCHEMA: stack.writer.schema,
      RESTORE_DB_SCHEMA: restoreSchema,
      RETENTION_HOT_DAYS: String(HOT_DAYS),
      RETENTION_DETACHED_GRACE_HOURS: '0', // dropped in the same run
      RETENTION_SCHEDULE: 'off', // only the operator's run
      RETENTION_CUT_TIMEOUT_MS: '30000',
      AUTH_JWKS_URL: jwks,
      AUTH_EVENTS_TOPIC: stack.topics.auth,
      KAFKA_GROUP_ID: `vigil-retention-${uniqueTopic('e2e')}`,
    };
    worker = await startApp('retention-worker', workerEnv);
    cliEnv = { ...workerEnv, DATABASE_URL: testDatabaseUrl(), DB_SCHEMA: worker.schema };
    ops = await new TopicTap(Topics.OPS_EVENTS).start();
  });
  afterAll(async () => {
    await ops?.stop();
    await worker?.close();
    await db?.query(`DROP SCHEMA IF EXISTS "${restoreSchema}" CASCADE`);
    await db?.end();
    await stack?.close();
  });

  it('seed 000-28: the past days are in the hot store (they open the chain) beside a login through the gateway today', async () => {
    const user = await stack.user('rita.today', ['user']);
    await user.session();
    for (const n of OLD) {
      const page = await waitFor(
        async () => {
          const r = await auditApi(`/api/v1/audit/logs?${dayRange(n)}&limit=100`).expect(200);
          return (r.body as AuditPage).items.length === LOGINS_PER_DAY + 1
            ? (r.body as AuditPage)
            : undefined;
        },
        { timeoutMs: 30_000, what: `the ${LOGINS_PER_DAY + 1} rows of ${dayOf(n)} at the audit API` },
      );
      // The first rows of the chain: nothing of today sits below them.
      for (const i of page.items) expect(Number(i.chainSeq)).toBeLessThanOrEqual(old.length);
    }
    const today = await waitFor(
      async () => {
        const r = await auditApi(`/api/v1/audit/logs?user_id=${user.id}&action=AUTH_LOGIN`).expect(200);
        return (r.body as AuditPage).items[0];
      },
      { timeoutMs: 30_000, what: "today's login at the audit API" },
    );
    todayLogin = today.eventId;
    expect(Number(today.chainSeq)).toBeGreaterThan(old.length);
  });

  it('seeds 000-33, 001-24, 002-16: `npm run retention -- run` archives each past day by class to the S3 store, verifies the archives, has the writer sign the cut and drops the partitions; the run is a RETENTION_RUN event', async () => {
    const ran = await runRetentionCli(['run', '--json'], cliEnv);
    if (ran.code !== 0) console.log(ran.out, ran.err);
    expect(ran.code).toBe(0);
    run = JSON.parse(ran.out);
    expect(run).toMatchObject({ outcome: 'success', failures: [] });
    const parts = OLD.map(partitionOf).sort();
    expect([...run.detached].sort()).toEqual(parts);
    // Detached, then dropped under the name it was detached as (grace 0 h: in the same run).
    expect([...run.dropped].sort()).toEqual(
      parts.map((p) => expect.stringMatching(new RegExp(`^${p}_d\\d+$`))),
    );
    // Two classes a day: the logins (default, a year) and the auditor's read (admin-7y).
    expect(run.archived.map((a) => `${a.partition} ${a.className} ${a.rows}`).sort()).toEqual(
      parts.flatMap((p) => [`${p} admin-7y 1`, `${p} default ${LOGINS_PER_DAY}`]),
    );
    for (const a of run.archived) expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);

    // The partitions are gone from the database, not merely emptied.
    for (const p of [...parts, ...run.dropped]) {
      const { rows } = await db.query(`SELECT to_regclass($1) AS t`, [`"${stack.writer.schema}".${p}`]);
      expect(rows[0].t).toBeNull();
    }
    // The CLI's events wait in the worker's outbox; the running worker publishes them.
    const recorded = await ops.waitFor('RETENTION_RUN', (e) => e.attributes.runId === run.runId, 30_000);
    expect(recorded).toMatchObject({
      actor: { userId: expect.stringMatching(/^cli:/) },
      attributes: { dryRun: false, partitionsDropped: 2, rowsArchived: old.length },
    });
    // Both stages of both days, named by this run's archives (the topic is shared; the days recur).
    const mine = new Set(run.archived.map((a) => a.archiveId));
    const stages = await waitFor(
      () => {
        const seen = ops
          .of('PARTITION_DROPPED')
          .filter((e) => mine.has(e.attributes.archiveId))
          .map((e) => `${e.attributes.partition} ${e.attributes.stage}`)
          .sort();
        return seen.length >= 4 ? seen : undefined;
      },
      { timeoutMs: 30_000, what: "this run's PARTITION_DROPPED events on ops.events.v1" },
    );
    expect(stages).toEqual(parts.flatMap((p) => [`${p} detached`, `${p} dropped`]));
  });

  it('seeds 000-13, 001-53: each archived day restores through the worker API (object, row hashes and signed cut verified); the audit API no longer finds the days in the hot store and the report has nothing past policy', async () => {
    for (const n of OLD) {
      await auditApi(`/api/v1/audit/logs?${dayRange(n)}&limit=100`)
        .expect(200)
        .expect((r) => expect((r.body as AuditPage).items).toEqual([]));
      const restored = await request(worker.app.getHttpServer())
        .post('/api/v1/retention/restore')
        .set('Authorization', `Bearer ${stack.admin}`)
        .send({ day: dayOf(n) })
        .expect(200);
      expect(restored.body).toMatchObject({
        rows: LOGINS_PER_DAY + 1,
        table: `${restoreSchema}.audit_logs_restored`,
      });
      expect(restored.body.archives.map((a: { archiveId: string }) => a.archiveId).sort()).toEqual(
        run.archived
          .filter((a) => a.partition === partitionOf(n))
          .map((a) => a.archiveId)
          .sort(),
      );
    }
    // The restored rows are the events that left the hot store, each once.
    const { rows } = await db.query(
      `SELECT event_id::text AS id FROM "${restoreSchema}".audit_logs_restored ORDER BY chain_seq`,
    );
    expect(rows.map((r) => r.id).sort()).toEqual(old.map((e) => e.id).sort());

    const report = await request(worker.app.getHttpServer())
      .get('/api/v1/retention/report')
      .set('Authorization', `Bearer ${stack.admin}`)
      .expect(200);
    expect(report.body.hot).toMatchObject({ rowsOlderThanPolicy: 0, explained: [] });
    expect(report.body.lastRun).toMatchObject({ runId: run.runId, outcome: 'success' });
  });

  it('seeds 000-30, 001-25: `npm run audit:verify` of the remaining store passes: the chain is archived up to the last past row by a signed cut and every row of today verifies', async () => {
    const verified = await runAuditCli('verify', [], {
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: stack.writer.schema,
      AUDIT_KEY_DIR: stack.writerEnv.AUDIT_KEY_DIR,
      AUDIT_TOPICS: stack.topics.auth,
    });
    if (verified.code !== 0) console.log(verified.out);
    const chain = verified.out.split('\n').find((l) => l.startsWith(`${stack.topics.auth}:0: `));
    expect(chain).toMatch(/^\S+: (\d+)\/\1 rows valid/);
    expect(chain).toContain(`archived up to ${old.length} (policy hot-${HOT_DAYS}d`);
    expect(verified.out).toMatch(/against the witness audit\.checkpoints\.v1 .*: VERIFIED/);
    expect(verified.out).not.toMatch(/DELETED|MODIFIED|INSERTED|FAILED/);
    expect(verified.code).toBe(0);
    // Today's login is still there and searchable.
    const r = await auditApi(`/api/v1/audit/logs?action=AUTH_LOGIN&limit=100`).expect(200);
    expect((r.body as AuditPage).items.map((i) => i.eventId)).toContain(todayLogin);
  });
});
