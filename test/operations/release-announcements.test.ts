/**
 * Seeds 002-15, 002-27, 004-58: every service announces on ops.events.v1 the schema migrations it
 * finds applied (SCHEMA_MIGRATION) and the release it runs as (DEPLOYMENT: version, git sha; reason
 * rollout, or rollback when that release ran before), once per change however many replicas start,
 * against the real broker and PostgreSQL.
 */
import { decodeEvent, Topics, type EventEnvelope } from '@vigil/contracts';
import { readTopic } from '@vigil/kafka';
import { freshSchema, testDatabaseUrl, testKafka, waitFor } from '@vigil/testing';
import { Client } from 'pg';
import { ReleaseAnnouncer } from '@vigil/runtime';
import { startApp, type AppName, type TestApp } from '../support/apps';

interface Row {
  kind: string;
  name: string;
  event_id: string;
  event: EventEnvelope;
  announced_at: Date | null;
}

const kafka = testKafka('vigil-release-announcements-test');

async function rows(schema: string): Promise<Row[]> {
  const pg = new Client({ connectionString: testDatabaseUrl() });
  await pg.connect();
  try {
    return (
      await pg.query(
        `SELECT kind, name, event_id, event, announced_at FROM "${schema}".release_announcements`,
      )
    ).rows;
  } finally {
    await pg.end();
  }
}

/** The events with these ids on ops.events.v1 (read from the beginning up to now). */
async function onTopic(ids: string[]): Promise<EventEnvelope[]> {
  const want = new Set(ids);
  const found: EventEnvelope[] = [];
  await readTopic(kafka, Topics.OPS_EVENTS, async ({ message }) => {
    if (!message.value) return;
    const decoded = decodeEvent(message.value);
    if (decoded.ok && want.has(decoded.event.id)) found.push(decoded.event as EventEnvelope);
  });
  return found;
}

async function start(app: AppName, env: Record<string, string>, db?: { url: string; schema: string }) {
  const started = await startApp(app, { VIGIL_ANNOUNCE_RELEASES: 'true', ...env }, db ? { db } : {});
  await started.app.get(ReleaseAnnouncer).done;
  return started;
}

describe('release announcements on ops.events.v1 (real broker and PostgreSQL)', () => {
  const open: TestApp[] = [];
  const schemas: Array<{ drop(): Promise<void> }> = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
    while (schemas.length) await schemas.pop()!.drop();
  });

  it('seed 002-15: the gateway announces each applied migration and its first deployment, once', async () => {
    const gw = await start('auth-gateway', { VIGIL_VERSION: '1.4.0', VIGIL_GIT_SHA: 'abc1234' });
    open.push(gw);
    const recorded = await rows(gw.schema);
    const migrations = recorded.filter((r) => r.kind === 'migration');
    const deployments = recorded.filter((r) => r.kind === 'deployment');
    expect(migrations.length).toBeGreaterThanOrEqual(7);
    expect(deployments.map((d) => d.name)).toEqual(['1.4.0@abc1234']);
    expect(recorded.every((r) => r.announced_at !== null)).toBe(true);

    const events = await waitFor(
      async () => {
        const seen = await onTopic(recorded.map((r) => r.event_id));
        return seen.length === recorded.length ? seen : undefined;
      },
      { timeoutMs: 20000, what: 'every announcement on ops.events.v1' },
    );
    const deployment = events.find((e) => e.type === 'DEPLOYMENT')!;
    expect(deployment).toMatchObject({
      producer: 'auth-gateway',
      reason: 'first_deployment',
      attributes: { service: 'auth-gateway', version: '1.4.0', gitSha: 'abc1234' },
    });
    const migrationEvents = events.filter((e) => e.type === 'SCHEMA_MIGRATION');
    expect(migrationEvents.map((e) => (e.attributes as { migration: string }).migration).sort()).toEqual(
      migrations.map((m) => m.name).sort(),
    );
    expect(migrationEvents.every((e) => (e.attributes as { direction: string }).direction === 'up')).toBe(
      true,
    );
  });

  it('seeds 002-27, 004-58: a restart of the same release says nothing; a new release is a rollout, an old one a rollback; two replicas announce once', async () => {
    // One schema kept across the starts (startApp drops only the schemas it made itself).
    const db = await freshSchema('release_announcements');
    schemas.push(db);
    const first = await start('retention-worker', { VIGIL_VERSION: '2.0.0' }, db);
    const initial = await rows(db.schema);
    await first.close();

    // Same release again: nothing new is recorded or published.
    const again = await start('retention-worker', { VIGIL_VERSION: '2.0.0' }, db);
    expect(await again.app.get(ReleaseAnnouncer).done).toBe(0);
    await again.close();
    expect((await rows(db.schema)).length).toBe(initial.length);

    // 2.1.0 rolled out on two replicas at once: one DEPLOYMENT (rollout).
    const [a, b] = await Promise.all([
      start('retention-worker', { VIGIL_VERSION: '2.1.0' }, db),
      start('retention-worker', { VIGIL_VERSION: '2.1.0' }, db),
    ]);
    await a.close();
    await b.close();
    let deployments = (await rows(db.schema)).filter((r) => r.kind === 'deployment');
    expect(deployments.map((d) => d.name).sort()).toEqual(['2.0.0', '2.1.0']);
    const rollout = deployments.find((d) => d.name === '2.1.0')!;
    expect(rollout.event).toMatchObject({ reason: 'rollout', attributes: { version: '2.1.0' } });

    // kubectl rollout undo: 2.0.0 runs again, announced as a rollback with a new event.
    const back = await start('retention-worker', { VIGIL_VERSION: '2.0.0' }, db);
    open.push(back);
    deployments = (await rows(db.schema)).filter((r) => r.kind === 'deployment');
    const rollback = deployments.find((d) => d.name === '2.0.0')!;
    expect(rollback.event).toMatchObject({ reason: 'rollback', attributes: { version: '2.0.0' } });
    expect(rollback.event_id).not.toBe(initial.find((r) => r.kind === 'deployment')!.event_id);

    const published = await onTopic([rollout.event_id, rollback.event_id]);
    expect(published.map((e) => e.reason).sort()).toEqual(['rollback', 'rollout']);
  });
});
