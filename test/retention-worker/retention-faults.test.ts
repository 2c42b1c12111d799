// Issue 15: a retention run that stops at any step loses nothing and the next run completes it; a
// truncated archive is caught before its partition goes; two workers never act at once; held rows
// and held archives outlive their window. Against the real PostgreSQL, Kafka, S3Proxy and writer.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { waitFor } from '@vigil/testing';
import { createArchiveStore } from '../../apps/retention-worker/src/archive/archive-store.factory';
import { loadRetentionWorkerConfig } from '../../apps/retention-worker/src/config';
import {
  ExpiryService,
  RunInProgress,
  STEPS,
  type Step,
} from '../../apps/retention-worker/src/expiry/expiry.service';
import { startApp } from '../support/apps';
import { dayOf, partitionOf, retentionFixture, runRetentionCli, type RetentionFixture } from './support';

const TRUNCATED = 30;
const HELD = 22;
const CRASHED = [21, 20, 19, 18, 17, 16];
const ROWS_PER_DAY = 22;

describe('retention worker under faults', () => {
  let f: RetentionFixture;
  let expiry: ExpiryService;
  const api = () => request(f.worker.app.getHttpServer());

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-policy-'));
    const policyFile = path.join(dir, 'policy.json');
    // Short windows so that archives expire within the test: audit reads 4 days, the rest 5.
    writeFileSync(
      policyFile,
      JSON.stringify({
        hotDays: 3,
        archiveDays: 5,
        classes: [{ name: 'reads-short', archiveDays: 4, actions: ['AUDIT_LOG_READ'] }],
      }),
    );
    f = await retentionFixture('retf', [TRUNCATED, HELD, ...CRASHED, 1], {
      workerEnv: {
        RETENTION_POLICY_FILE: policyFile,
        RETENTION_HOT_DAYS: '',
        RETENTION_MAX_PARTITIONS_PER_RUN: '1',
        RETENTION_LOCK_TIMEOUT_MS: '200',
      },
    });
    expiry = f.worker.app.get(ExpiryService);
  });
  afterAll(async () => f?.close());

  /** Never neither: each old day's rows are in audit_logs (attached or detached) or in verified archives. */
  async function assertNothingLost(): Promise<void> {
    for (const n of [TRUNCATED, HELD, ...CRASHED]) {
      const hot = await f.rowsOn(n);
      const detached = await f.db.query(
        `SELECT coalesce(sum(rows), 0)::int AS n FROM "${f.writer.schema}".detached_partitions WHERE day = $1 AND dropped_at IS NULL`,
        [dayOf(n)],
      );
      const archived = await f.db.query(
        `SELECT coalesce(sum(rows), 0)::int AS n FROM "${f.writer.schema}".archive_manifests WHERE day = $1 AND verified_at IS NOT NULL AND failed_at IS NULL`,
        [dayOf(n)],
      );
      const where =
        hot === ROWS_PER_DAY
          ? 'hot'
          : detached.rows[0].n === ROWS_PER_DAY
            ? 'detached'
            : archived.rows[0].n === ROWS_PER_DAY
              ? 'archived'
              : 'lost';
      expect({ day: n, where }).not.toEqual({ day: n, where: 'lost' });
    }
  }

  async function runWithFault(step: Step | undefined): Promise<unknown> {
    expiry.faultAfter = step;
    try {
      return await expiry.run({ trigger: 'cli', dryRun: false });
    } catch (err) {
      return err;
    } finally {
      expiry.faultAfter = undefined;
    }
  }

  it('a truncated archive is detected on read-back: the partition is kept, the archive set aside, and the next run writes a good one', async () => {
    expect(await runWithFault('manifested')).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/injected fault after manifested/) }),
    );
    const [m] = (
      await f.db.query(`SELECT * FROM "${f.writer.schema}".archive_manifests WHERE day = $1`, [
        dayOf(TRUNCATED),
      ])
    ).rows;
    expect(m.verified_at).toBeNull();
    const store = createArchiveStore(loadRetentionWorkerConfig({ ...f.workerEnv, RETENTION_HOT_DAYS: '3' }));
    const chunks: Buffer[] = [];
    for await (const c of await store.get(m.object_key)) chunks.push(c as Buffer);
    const whole = Buffer.concat(chunks);
    await store.put(m.object_key, Readable.from([whole.subarray(0, Math.floor(whole.length / 2))]));

    const bad = (await runWithFault(undefined)) as { outcome: string; failures: Array<{ error: string }> };
    expect(bad.outcome).toBe('failure');
    expect(bad.failures[0].error).toMatch(/failed verification \(the partition is kept/);
    expect(await f.partitions()).toContain(partitionOf(TRUNCATED));
    expect(await f.rowsOn(TRUNCATED)).toBe(ROWS_PER_DAY);
    const failed = await f.db.query(
      `SELECT failure FROM "${f.writer.schema}".archive_manifests WHERE archive_id = $1`,
      [m.archive_id],
    );
    expect(failed.rows[0].failure).toMatch(/unreadable|rows|sha256/);
    expect((await f.outbox('ARCHIVE_VERIFIED')).filter((e) => e.outcome === 'failure')).toHaveLength(1);

    const good = (await runWithFault(undefined)) as { outcome: string; detached: string[] };
    expect(good).toMatchObject({ outcome: 'success', detached: [partitionOf(TRUNCATED)] });
    await assertNothingLost();
  });

  it('held rows are never dropped and held archives never deleted past their window; released, they go', async () => {
    const store = createArchiveStore(loadRetentionWorkerConfig({ ...f.workerEnv, RETENTION_HOT_DAYS: '3' }));
    expect(await runWithFault('detached')).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/after detached of/) }),
    );
    const hold = await api()
      .post('/api/v1/retention/holds')
      .set('Authorization', `Bearer ${f.admin}`)
      .send({
        action: 'AUDIT_LOG_READ',
        from: `${dayOf(HELD)}T00:00:00Z`,
        to: `${dayOf(HELD)}T23:59:59Z`,
        reason: 'regulator inquiry',
      })
      .expect(201);
    const r = (await runWithFault(undefined)) as {
      held: string[];
      archivesKept: Array<{ archiveId: string }>;
      archivesDeleted: string[];
    };
    const archives = (
      await f.db.query(
        `SELECT archive_id, class, object_key, deleted_at FROM "${f.writer.schema}".archive_manifests WHERE day = $1 AND failed_at IS NULL ORDER BY class`,
        [dayOf(HELD)],
      )
    ).rows;
    const [reads, other] = [
      archives.find((a) => a.class === 'reads-short'),
      archives.find((a) => a.class === 'default'),
    ];
    // The detached table holds audit reads of that day: not dropped. Its audit-read archive is kept, the other deleted.
    expect(r.held.some((t) => t.startsWith(partitionOf(HELD)))).toBe(true);
    expect(
      (
        await f.db.query(
          `SELECT count(*)::int AS n FROM "${f.writer.schema}".detached_partitions WHERE day = $1 AND dropped_at IS NULL`,
          [dayOf(HELD)],
        )
      ).rows[0].n,
    ).toBe(1);
    expect(r.archivesKept.map((k) => k.archiveId)).toContain(reads.archive_id);
    expect(reads.deleted_at).toBeNull();
    expect(await store.head(reads.object_key)).toBeDefined();
    expect(other.deleted_at).not.toBeNull();
    expect(await store.head(other.object_key)).toBeUndefined();
    expect((await f.outbox('ARCHIVE_DELETED')).map((e) => e.attributes.archiveId)).toContain(
      other.archive_id,
    );

    await api()
      .post(`/api/v1/retention/holds/${hold.body.holdId}/release`)
      .set('Authorization', `Bearer ${f.admin}`)
      .send({ reason: 'inquiry closed' })
      .expect(200);
    const after = (await runWithFault(undefined)) as { dropped: string[]; archivesDeleted: string[] };
    expect(after.dropped.some((t) => t.startsWith(partitionOf(HELD)))).toBe(true);
    expect(after.archivesDeleted).toContain(reads.archive_id);
    expect(await store.head(reads.object_key)).toBeUndefined();
    await assertNothingLost();
  });

  it('a run stopped after each step (export, manifest, verification, cut, detach, drop, archive deletion) loses nothing, and later runs complete it', async () => {
    for (const step of STEPS) {
      const r = await runWithFault(step);
      expect(r).toEqual(
        expect.objectContaining({
          message: expect.stringMatching(new RegExp(`injected fault after ${step}`)),
        }),
      );
      await assertNothingLost();
    }
    // Lock waits are bounded and retried: a reader holding audit_logs makes the detach time out (200 ms) and retry.
    const blocker = await (await import('../audit-writer/support')).superuser();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE "${f.writer.schema}".audit_logs IN ACCESS SHARE MODE`);
    // Held until the worker says its detach timed out on it (not for a fixed time: a loaded machine
    // can take longer than any fixed time to reach the detach), then released so the retry succeeds.
    const timedOut = () =>
      f.worker.logs.some((l) => String(l.message).includes('lock wait timed out; retrying'));
    const released = waitFor(timedOut, {
      timeoutMs: 120_000,
      intervalMs: 20,
      what: 'the detach waiting on the lock',
    })
      .finally(() => blocker.query('COMMIT'))
      .finally(() => blocker.end());
    const blocked = (await runWithFault(undefined)) as { outcome: string; detached: string[] };
    await released;
    expect(blocked.outcome).toBe('success');
    expect(blocked.detached).toHaveLength(1);
    expect(timedOut()).toBe(true);

    for (let i = 0; i < 10 && (await f.partitions()).some((p) => CRASHED.map(partitionOf).includes(p)); i++)
      await runWithFault(undefined);
    await runWithFault(undefined);
    await assertNothingLost();
    for (const n of CRASHED) expect(await f.rowsOn(n)).toBe(0);
    const archived = await f.db.query(
      `SELECT day::text, sum(rows)::int AS n FROM "${f.writer.schema}".archive_manifests WHERE verified_at IS NOT NULL AND failed_at IS NULL GROUP BY day ORDER BY day`,
    );
    expect(archived.rows.map((r) => r.n)).toEqual([TRUNCATED, HELD, ...CRASHED].map(() => ROWS_PER_DAY));
    const v = await f.verify();
    expect(v.out).toContain('VERIFIED');
    expect(v.code).toBe(0);
  });

  it('two workers at once: while one runs, the other is refused (advisory lock) and acts on nothing', async () => {
    const second = await startApp('retention-worker', f.workerEnv);
    try {
      const lockKey = `vigil:retention:${f.writer.schema}`;
      const holder = await f.db.query(`SELECT pg_advisory_lock(hashtext($1))`, [lockKey]).then(() => f.db);
      await expect(
        second.app.get(ExpiryService).run({ trigger: 'cli', dryRun: false }),
      ).rejects.toBeInstanceOf(RunInProgress);
      const r = await request(second.app.getHttpServer())
        .post('/api/v1/audit/cleanup')
        .set('Authorization', `Bearer ${f.admin}`)
        .send({})
        .expect(409);
      expect(r.body.detail).toMatch(/another retention run is in progress/);
      await holder.query(`SELECT pg_advisory_unlock(hashtext($1))`, [lockKey]);
      // Two real runs started together: at most one acts.
      const results = await Promise.allSettled([
        expiry.run({ trigger: 'cli', dryRun: true }),
        second.app.get(ExpiryService).run({ trigger: 'cli', dryRun: true }),
      ]);
      expect(results.filter((x) => x.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
      for (const x of results) if (x.status === 'rejected') expect(x.reason).toBeInstanceOf(RunInProgress);
    } finally {
      await second.close();
    }
  });
});

describe('retention worker SIGKILLed mid-run (the operator CLI, a real process)', () => {
  const DAYS = [12, 11, 10, 9, 8];
  let f: RetentionFixture;

  beforeAll(async () => {
    f = await retentionFixture('retkill', [...DAYS, 1], {
      workerEnv: { RETENTION_MAX_PARTITIONS_PER_RUN: '1', RETENTION_SCHEDULE: 'off' },
    });
  });
  afterAll(async () => f?.close());

  /** Runs `npm run retention -- run` and SIGKILLs it as soon as a progress line contains `marker`. */
  function runAndKill(marker: string): Promise<{ killed: boolean; out: string }> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        ['-r', './tools/ts-register.js', 'apps/retention-worker/src/cli/retention.cli.ts', 'run'],
        {
          cwd: path.resolve(__dirname, '../..'),
          env: { PATH: process.env.PATH, NODE_ENV: 'test', ...f.cliEnv },
        },
      );
      let out = '';
      let killed = false;
      child.stdout.on('data', (d) => {
        out += d;
        if (!killed && out.includes(marker)) {
          killed = true;
          child.kill('SIGKILL');
        }
      });
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', () => resolve({ killed, out }));
    });
  }

  async function where(n: number): Promise<string> {
    if ((await f.rowsOn(n)) === ROWS_PER_DAY) return 'hot';
    const d = await f.db.query(
      `SELECT coalesce(sum(rows), 0)::int AS n FROM "${f.writer.schema}".detached_partitions WHERE day = $1 AND dropped_at IS NULL`,
      [dayOf(n)],
    );
    if (d.rows[0].n === ROWS_PER_DAY) return 'detached';
    const a = await f.db.query(
      `SELECT coalesce(sum(rows), 0)::int AS n FROM "${f.writer.schema}".archive_manifests WHERE day = $1 AND verified_at IS NOT NULL AND failed_at IS NULL`,
      [dayOf(n)],
    );
    return a.rows[0].n === ROWS_PER_DAY ? 'archived' : 'lost';
  }

  it('killed while exporting, after the manifest, after verification, while asking for cuts and after the detach: nothing is lost and later runs finish', async () => {
    const seen: string[] = [];
    for (const marker of ['exporting', 'row(s), ', 'verified (', 'asked the audit-writer', 'detached as']) {
      const r = await runAndKill(marker);
      const places = await Promise.all(DAYS.map(where));
      seen.push(`${marker} → ${r.killed ? 'killed' : 'ran to the end'}: ${places.join(' ')}`);
      expect(places).not.toContain('lost');
    }
    console.log(`SIGKILL during retention runs (days ${DAYS.join(', ')} ago):\n  ${seen.join('\n  ')}`);
    for (let i = 0; i < 10 && (await Promise.all(DAYS.map(where))).some((w) => w === 'hot'); i++) {
      const done = await runRetentionCli(['run'], f.cliEnv);
      expect(done.code).toBe(0);
    }
    expect(await Promise.all(DAYS.map(where))).toEqual(DAYS.map(() => 'archived'));
    const v = await f.verify();
    expect(v.out).toContain('VERIFIED');
    expect(v.code).toBe(0);
  });
});
