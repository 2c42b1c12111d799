// Issue 16 item 5: the `vigil` operator CLI's data commands, run through run(argv, io) against the
// running system: the auth-gateway (logins), the audit-writer (the audit store and its API), the
// security-monitor (an alert on its alerts topic, ingested by the writer), the retention worker
// (runs, holds, report), the real Kafka (alerts, DLQs, the checkpoint witness) and PostgreSQL.
import { createHash } from 'node:crypto';
import { mkdtempSync as mkdtemp, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Client } from 'pg';
import { createEvent, dlqTopic, type EventEnvelope } from '@vigil/contracts';
import { createKafka, EventProducer, readTopic } from '@vigil/kafka';
import { kafkaBrokers, uniqueTopic, waitFor } from '@vigil/testing';
import type { TestApp } from '../support/apps';
import { count, sendToChains } from '../audit-writer/support';
import { ADMIN } from '../auth-gateway/support/gateway';
import { createUser, adminToken, login } from '../auth-gateway/support/http';
import { failed } from '../security-monitor/support';
import { startOperationsSystem, type OperationsSystem } from './support/operations-system';
import { auditRead, daysAgo, partitionOf } from '../retention-worker/support';
import { ecsProblems, ocsfProblems } from '@vigil/contracts/testing';

jest.setTimeout(180_000);

interface Ran {
  code: number;
  out: string;
  err: string;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const OLD_DAY = 5; // past the test's 3-day hot window

/** Temporary folders of the suite (keys, archives, exports), removed at the end. */
const made: string[] = [];
const mkdtempSync = (prefix: string) => {
  const dir = mkdtemp(prefix);
  made.push(dir);
  return dir;
};

describe('vigil CLI data commands against the running system', () => {
  let sys: OperationsSystem;
  let writer: TestApp;
  let db: Client;
  let producer: EventProducer;
  let ops: string;
  let gw: OperationsSystem['gw'];
  let doraId: string;
  let deploymentAt: Date;

  const vigil = (args: string[], extra: Record<string, string | undefined> = {}): Promise<Ran> =>
    sys.cli(args, extra) as Promise<Ran>;

  beforeAll(async () => {
    sys = await startOperationsSystem('cli');
    ({ writer, db, producer, gw } = sys);
    ops = sys.topics.ops;
    const auth = sys.topics.auth;

    // Rows from days ago on the ops chain first (so a retention cut can archive them), then today's.
    await sendToChains(producer, ops, [[auditRead(daysAgo(OLD_DAY, 0)), auditRead(daysAgo(OLD_DAY, 1))]]);
    await waitFor(async () => (await count(db, writer.schema, `action = 'AUDIT_LOG_READ'`)) === 2, {
      what: 'the old rows',
    });
    deploymentAt = new Date(Date.now() - 10 * 60_000);
    const deployment = createEvent('DEPLOYMENT', {
      occurredAt: deploymentAt,
      producer: 'deploy-tool',
      outcome: 'success',
      attributes: { service: 'auth-gateway', version: '9.9.9', gitSha: 'c0ffee1' },
    }) as EventEnvelope;
    await sendToChains(producer, ops, [[deployment]]);

    // Logins at the gateway: a user, three wrong passwords, a success.
    const admin = await adminToken(gw);
    doraId = await createUser(gw, admin, { username: 'dora.ops', password: 'Amber-Falcon-Meadow-31' });
    for (let i = 0; i < 3; i++) await login(gw, 'dora.ops', `wrong-${i}`, `198.51.100.${20 + i}`);
    expect((await login(gw, 'dora.ops', 'Amber-Falcon-Meadow-31', '198.51.100.30')).status).toBe(200);

    // Seven failed logins for one account within a minute: the monitor's per-user warning fires.
    // Stamped in the past: a search ends at now by default, and a future row would be left out.
    const now = Date.now();
    await producer.publish(
      auth,
      Array.from({ length: 7 }, (_, i) =>
        failed(new Date(now - (7 - i) * 100), 'mallory@example.com', '203.0.113.66'),
      ),
    );
    await waitFor(
      async () =>
        (await count(db, writer.schema, `action = 'SECURITY_ALERT'`)) >= 1 &&
        // The alert can be written before the last failure (another topic): wait for all seven.
        (await count(db, writer.schema, `ip_address = '203.0.113.66' AND action = 'FAILED_AUTH_LOGIN'`)) ===
          7 &&
        (await count(db, writer.schema, `user_id = '${doraId}' AND action = 'FAILED_AUTH_LOGIN'`)) === 3 &&
        (await count(db, writer.schema, `user_id = '${doraId}' AND action = 'AUTH_LOGIN'`)) === 1 &&
        (await count(db, writer.schema, `action = 'DEPLOYMENT'`)) === 1,
      { timeoutMs: 60_000, what: 'the alert, the logins and the deployment in audit_logs' },
    );
  });

  afterAll(async () => {
    await sys?.close();
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('exit codes: usage 2 (nothing sent), refused 1, unreachable 3; --json errors are JSON; help on every command', async () => {
    expect((await vigil(['audit', 'search', '--since', 'yesterday'])).code).toBe(2);
    expect((await vigil(['dlq', 'replay'])).code).toBe(2); // --topic is required
    expect((await vigil(['audit', 'search', '--outcome', 'maybe'])).code).toBe(2);
    expect((await vigil(['incident', 'timeline'])).code).toBe(2); // --since is required
    expect((await vigil(['evidence', 'export', '--since', '1h', '--out', '/tmp/x', '--hold'])).code).toBe(2);

    const refused = await vigil(['--json', 'audit', 'search', '--ip', 'not-an-ip']);
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({ exitCode: 1, error: expect.stringMatching(/400/) });
    expect(
      (await vigil(['retention', 'hold', 'release', 'hold-000000000000', '--reason', 'no such hold'])).code,
    ).toBe(1);

    const down = await vigil(['audit', 'search'], { VIGIL_AUDIT_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/unreachable/);
    expect(
      (await vigil(['db', 'stats'], { VIGIL_DATABASE_URL: 'postgres://postgres@127.0.0.1:9/x' })).code,
    ).toBe(3);

    for (const cmd of [
      ['db', 'stats'],
      ['db', 'slow-queries'],
      ['audit', 'search'],
      ['audit', 'export'],
      ['audit', 'verify'],
      ['audit', 'failed-logins'],
      ['alerts', 'tail'],
      ['alerts', 'show'],
      ['dlq', 'list'],
      ['dlq', 'replay'],
      ['retention', 'run'],
      ['retention', 'report'],
      ['retention', 'policy'],
      ['retention', 'hold', 'create'],
      ['retention', 'hold', 'release'],
      ['retention', 'hold', 'list'],
      ['incident', 'timeline'],
      ['evidence', 'export'],
    ]) {
      const help = await vigil([...cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toContain(`Usage: vigil ${cmd.join(' ')}`);
    }
  });

  it('seed 001-10, 001-11, 001-18, 002-27: audit search finds the rows by user, action, IP and actor role', async () => {
    const byUser = await vigil(['--json', 'audit', 'search', '--user', doraId, '--since', '1h']);
    expect(byUser.code).toBe(0);
    const actions = byUser.json().items.map((r: { action: string }) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['AUTH_LOGIN', 'FAILED_AUTH_LOGIN', 'USER_CREATED']));
    expect(actions.filter((a: string) => a === 'FAILED_AUTH_LOGIN')).toHaveLength(3);

    const changes = await vigil([
      '--json',
      'audit',
      'search',
      '--action',
      'DEPLOYMENT,SCHEMA_MIGRATION',
      '--since',
      '24h',
    ]);
    expect(changes.json().items).toEqual([
      expect.objectContaining({ action: 'DEPLOYMENT', createdAt: deploymentAt.toISOString() }),
    ]);
    const fromIp = await vigil([
      '--json',
      'audit',
      'search',
      '--ip',
      '203.0.113.66',
      '--action',
      'FAILED_AUTH_LOGIN',
    ]);
    expect(fromIp.json().count).toBe(7);
    const adminActs = await vigil(['--json', 'audit', 'search', '--actor-role', 'admin', '--since', '1h']);
    expect(adminActs.json().items.map((r: { action: string }) => r.action)).toContain('USER_CREATED');
    expect(
      adminActs.json().items.every((r: { actorRoles: string[] }) => r.actorRoles.includes('admin')),
    ).toBe(true);

    const failures = await vigil(['--json', 'audit', 'failed-logins', '--since', '1h']);
    expect(failures.code).toBe(0);
    expect(failures.json().failedLogins).toBeGreaterThanOrEqual(10);
    expect(failures.json().topIps[0]).toEqual({ ip: '203.0.113.66', failures: 7 });
    expect((await vigil(['audit', 'failed-logins'])).out).toMatch(/By client IP:[\s\S]*203\.0\.113\.66\s+7/);

    const human = await vigil(['audit', 'search', '--user', doraId, '--limit', '2']);
    expect(human.out).toMatch(/^time\s+action\s+outcome/m);
    expect(human.out).toMatch(/2 row\(s\) from .* \(limit 2 reached/);
    // The admin's password never reaches the output.
    expect(human.out + human.err + byUser.out).not.toContain(ADMIN.password);
  });

  it('audit export writes as many lines as the API has rows, to a file with its SHA-256, with progress on stderr', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-export-'));
    const file = path.join(dir, 'day.jsonl');
    const r = await vigil(['--json', 'audit', 'export', '--since', '24h', '--out', file]);
    expect(r.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const summary = r.json();
    expect(summary.rows).toBe(lines.length);
    expect(summary.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    // Rows keep arriving while the CLI runs (its own logins are audited), so compare with the
    // store up to the export's last row. Chains commit independently, so one row of another chain
    // with a lower id may still have been in flight when the export read (at most the CLI's login).
    const lastId = Math.max(...lines.map((l) => Number(JSON.parse(l).id)));
    const inStore = await count(
      db,
      writer.schema,
      `created_at >= now() - interval '24 hours' AND id <= ${lastId}`,
    );
    expect(lines.length).toBeLessThanOrEqual(inStore);
    expect(lines.length).toBeGreaterThanOrEqual(inStore - 1);
    const api = await request(writer.app.getHttpServer())
      .get('/api/v1/audit/logs')
      .query({ action: 'FAILED_AUTH_LOGIN', limit: 1000 })
      .set('Authorization', `Bearer ${await adminToken(gw)}`)
      .expect(200);
    const csv = await vigil(['audit', 'export', '--action', 'FAILED_AUTH_LOGIN', '--format', 'csv']);
    const csvLines = csv.out.trimEnd().split('\n');
    expect(csvLines[0]).toMatch(/^id,eventId,createdAt,action/);
    expect(csvLines).toHaveLength(api.body.items.length + 1);
    expect(csv.err).toMatch(/exporting audit rows/);
  });

  it("seed 000-45: alerts tail shows the monitor's alert and show <id> exports its indicators as JSON", async () => {
    const tail = await vigil(['--json', 'alerts', 'tail', '--since', '1h']);
    expect(tail.code).toBe(0);
    const alerts = tail.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const alert = alerts.find((a) => a.attributes.ruleId === 'failed-logins-per-user-1m-warning');
    expect(alert).toBeDefined();
    const human = await vigil([
      'alerts',
      'tail',
      '--since',
      '1h',
      '--rule',
      'failed-logins-per-user-1m-warning',
    ]);
    expect(human.out).toMatch(/FIRING\s+failed-logins-per-user-1m-warning v\d+\s+user=mallory@example.com/);
    expect(human.err).toMatch(/alert transition\(s\) .* still firing/);
    // --follow with --limit: waits for (here: finds) the next transition and stops.
    const follow = await vigil(['alerts', 'tail', '--since', '1h', '-f', '--limit', '1']);
    expect(follow.code).toBe(0);
    expect(follow.out).toMatch(/failed-logins-per-user/);
    // seed 003-02: the same transitions as OCSF / ECS lines for a SIEM, valid against the published schemas.
    for (const format of ['ocsf', 'ecs'] as const) {
      const soc = await vigil(['alerts', 'tail', '--since', '1h', '--format', format]);
      expect(soc.code).toBe(0);
      const docs = soc.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(docs).toHaveLength(alerts.length);
      for (const d of docs) expect(format === 'ocsf' ? ocsfProblems(d) : ecsProblems(d)).toEqual([]);
    }

    const id = alert.attributes.alertId as string;
    const show = await vigil(['--json', 'alerts', 'show', id.slice(0, 12)]);
    expect(show.code).toBe(0);
    expect(show.json()).toMatchObject({
      alertId: id,
      ruleId: 'failed-logins-per-user-1m-warning',
      indicators: {
        key: { kind: 'user', value: 'mallory@example.com' },
        users: ['mallory@example.com'],
        sampleEventIds: expect.arrayContaining([expect.any(String)]),
        mitre: expect.arrayContaining(['T1110']),
      },
    });
    // The same alert through the audit API only (the one base URL, no Kafka access).
    const noBus = { KAFKA_BROKERS: '127.0.0.1:9' };
    const viaAudit = await vigil(['--json', 'alerts', 'tail', '--since', '1h', '--source', 'audit'], noBus);
    expect(viaAudit.code).toBe(0);
    const stored = viaAudit.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((a) => a.attributes.alertId === id);
    expect(stored).toMatchObject({
      id: alert.id,
      attributes: {
        key: alert.attributes.key,
        summary: alert.attributes.summary,
        count: alert.attributes.count,
      },
    });
    const showAudit = await vigil(['--json', 'alerts', 'show', id.slice(0, 12), '--source', 'audit'], noBus);
    expect(showAudit.json()).toMatchObject({ alertId: id, indicators: show.json().indicators });
    expect((await vigil(['alerts', 'tail', '--source', 'audit', '-f'])).code).toBe(2);
    expect((await vigil(['alerts', 'show', 'ffffffffffff'])).code).toBe(1);
    expect((await vigil(['alerts', 'show', 'abc'])).code).toBe(2);
  });

  it('seed 000-38: incident timeline orders the DEPLOYMENT, the logins and the alert, with start, services and blast radius', async () => {
    const r = await vigil(['--json', 'incident', 'timeline', '--since', '1h']);
    expect(r.code).toBe(0);
    const t = r.json();
    const ats = t.entries.map((e: { at: string }) => e.at);
    expect(ats).toEqual([...ats].sort());
    const kinds = t.entries.map((e: { kind: string }) => e.kind);
    const firstChange = kinds.indexOf('change');
    const firstAlert = kinds.indexOf('alert');
    expect(firstChange).toBeGreaterThanOrEqual(0);
    expect(firstAlert).toBeGreaterThan(firstChange);
    expect(t.entries[firstChange]).toMatchObject({
      action: 'DEPLOYMENT',
      summary: expect.stringContaining('auth-gateway 9.9.9'),
    });
    expect(
      t.entries.some(
        (e: { action: string; userId: string }) => e.action === 'AUTH_LOGIN' && e.userId === doraId,
      ),
    ).toBe(true);
    expect(t.start).toBe(t.entries[firstAlert].at);
    expect(t.entries[firstAlert].summary).toContain('on user mallory@example.com'); // the key put back from its column
    expect(t.services).toEqual(expect.arrayContaining(['auth-gateway', 'security-monitor', 'deploy-tool']));
    expect(t.blastRadius.ips).toBeGreaterThanOrEqual(4);
    const only = await vigil(['--json', 'incident', 'timeline', '--since', '1h', '--only', 'alert,change']);
    expect(new Set(only.json().entries.map((e: { kind: string }) => e.kind))).toEqual(
      new Set(['alert', 'change']),
    );
    const human = await vigil(['incident', 'timeline', '--since', '1h']);
    expect(human.out).toMatch(/CHANGE\s+DEPLOYMENT\s+deployed auth-gateway 9\.9\.9/);
    expect(human.out).toMatch(/blast radius: \d+ user\(s\)/);
  });

  it('seed 000-40: evidence export writes rows, alerts and signed checkpoints whose manifest hashes match the files, and holds the range', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-evidence-')), 'case-1');
    const r = await vigil([
      '--json',
      'evidence',
      'export',
      '--since',
      '1h',
      '--out',
      dir,
      '--hold',
      '--reason',
      'INC-0001 evidence',
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/audit rows/);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(readdirSync(dir).sort()).toEqual([
      'SHA256SUMS',
      'alerts.jsonl',
      'audit-logs.jsonl',
      'checkpoints.jsonl',
      'keys',
      'manifest.json',
    ]);
    expect(readdirSync(path.join(dir, 'keys'))).toEqual([expect.stringMatching(/\.pub\.pem$/)]);
    for (const f of manifest.files) {
      const bytes = readFileSync(path.join(dir, f.name));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      if (f.name.endsWith('.jsonl'))
        expect(bytes.toString().split('\n').filter(Boolean)).toHaveLength(f.rows);
    }
    const byName = Object.fromEntries(
      manifest.files.map((f: { name: string; rows: number }) => [f.name, f.rows]),
    );
    expect(byName['alerts.jsonl']).toBeGreaterThanOrEqual(1);
    expect(byName['checkpoints.jsonl']).toBeGreaterThanOrEqual(1);
    const cp = JSON.parse(readFileSync(path.join(dir, 'checkpoints.jsonl'), 'utf8').split('\n')[0]);
    expect(cp).toMatchObject({
      chainId: expect.any(String),
      signature: expect.any(String),
      keyFingerprint: expect.any(String),
    });
    // The evidence verifies on its own: its checkpoints as the witness, its keys as the key directory.
    const offline = await vigil(['audit', 'verify', '--witness', path.join(dir, 'checkpoints.jsonl')], {
      AUDIT_KEY_DIR: path.join(dir, 'keys'),
    });
    expect(offline.out).toMatch(/against the witness .*checkpoints\.jsonl.*: VERIFIED/);
    expect(offline.code).toBe(0);
    const sums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
    expect(sums).toContain(`${r.json().manifestSha256}  manifest.json`);
    expect(manifest.legalHold).toMatchObject({ holdId: expect.stringMatching(/^hold-/) });
    const holds = await vigil(['--json', 'retention', 'hold', 'list']);
    expect(holds.json().items.map((h: { holdId: string }) => h.holdId)).toContain(manifest.legalHold.holdId);
    // A folder with something in it is refused before anything is written.
    expect((await vigil(['evidence', 'export', '--since', '1h', '--out', dir])).code).toBe(2);
  });

  it('seed 000-40: a legal hold blocks the drop of a partition past the window; released, the next run archives and drops it', async () => {
    const partition = partitionOf(OLD_DAY);
    const attached = async () =>
      (
        await db.query(
          `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2`,
          [writer.schema, partition],
        )
      ).rowCount === 1;
    expect(await attached()).toBe(true);
    const dry = await vigil(['--json', 'retention', 'run', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.json()).toMatchObject({ dryRun: true });
    expect(dry.json().partitions).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: partition, rows: 2 })]),
    );

    const held = await vigil([
      '--json',
      'retention',
      'hold',
      'create',
      '--since',
      '6d',
      '--until',
      '4d',
      '--reason',
      'INC-0002 hold',
    ]);
    expect(held.code).toBe(0);
    const holdId = held.json().holdId as string;
    const blocked = await vigil(['--json', 'retention', 'run']);
    expect(blocked.json().held).toContain(partition);
    expect(blocked.json().detached).not.toContain(partition);
    expect(await attached()).toBe(true);

    const policy = await vigil(['--json', 'retention', 'policy']);
    expect(policy.json()).toMatchObject({ hotDays: 3, schedule: 'off' });
    const report = await vigil(['--json', 'retention', 'report']);
    expect(report.code).toBe(0);
    expect(report.json().holds.map((h: { holdId: string }) => h.holdId)).toContain(holdId);
    expect((await vigil(['retention', 'report'])).out).toMatch(/legal holds: \d+/);

    const released = await vigil([
      '--json',
      'retention',
      'hold',
      'release',
      holdId,
      '--reason',
      'case closed',
    ]);
    expect(released.json()).toMatchObject({ holdId, releasedAt: expect.any(String) });
    const ran = await vigil(['retention', 'run']);
    expect(ran.code).toBe(0);
    expect(ran.out).toMatch(new RegExp(`detached: .*${partition}`));
    expect(await attached()).toBe(false);
    expect(
      await count(db, writer.schema, `action = 'AUDIT_LOG_READ' AND created_at < now() - interval '4 days'`),
    ).toBe(0);
  });

  it('dlq list shows a DLQ record and dlq replay moves it back into its topic', async () => {
    await producer.send(ops, [{ key: Buffer.from('junk'), value: Buffer.from('{not an event') }]);
    const depth = async () =>
      (await vigil(['--json', 'dlq', 'list', '--match', ops]))
        .json()
        .items.find((d: { topic: string }) => d.topic === dlqTopic(ops))?.records as number | undefined;
    await waitFor(async () => (await depth()) === 1, {
      timeoutMs: 30_000,
      what: 'the junk record in the DLQ',
    });
    const dry = await vigil(['--json', 'dlq', 'replay', '--topic', dlqTopic(ops), '--dry-run']);
    expect(dry.json()).toMatchObject({ dryRun: true, replayed: 1 });

    const replay = await vigil(['--json', 'dlq', 'replay', '--topic', dlqTopic(ops)]);
    expect(replay.code).toBe(0);
    expect(replay.json()).toMatchObject({ replayed: 1, byTopic: { [ops]: 1 } });
    const replayed: string[] = [];
    await readTopic(
      createKafka({ brokers: kafkaBrokers(), clientId: 'vigil-cli-test' }),
      ops,
      ({ message }) => {
        const from = message.headers?.['replayed-from'];
        if (from) replayed.push(String(from));
      },
    );
    expect(replayed).toEqual([`${dlqTopic(ops)}/0/0`]);
    // Still junk: the writer sends it to the DLQ again (nothing is dropped silently).
    await waitFor(async () => (await depth()) === 2, {
      timeoutMs: 30_000,
      what: 'the replayed junk back in the DLQ',
    });
    expect((await vigil(['dlq', 'replay', '--topic', ops])).code).toBe(2); // not a DLQ
    expect((await vigil(['dlq', 'replay', '--topic', `${uniqueTopic('none')}.dlq`])).code).toBe(1);
  });

  it('seeds 001-13, 001-17, 001-40: db stats reads index use and partition sizes; slow-queries says pg_stat_statements is absent and falls back', async () => {
    const stats = await vigil(['--json', 'db', 'stats', '--schema', writer.schema]);
    expect(stats.code).toBe(0);
    const s = stats.json();
    expect(s.partitioned).toEqual([
      expect.objectContaining({
        schema: writer.schema,
        table: 'audit_logs',
        partitions: expect.any(Number),
        bytes: expect.any(Number),
      }),
    ]);
    expect(s.partitioned[0].bytes).toBeGreaterThan(0);
    expect(s.indexes.length).toBeGreaterThan(0);
    expect(s.indexes.every((i: { schema: string }) => i.schema === writer.schema)).toBe(true);
    const human = await vigil(['db', 'stats', '--schema', writer.schema]);
    expect(human.out).toMatch(/Indexes:/);

    const slow = await vigil(['--json', 'db', 'slow-queries']);
    expect(slow.code).toBe(0);
    const q = slow.json();
    const { rows } = await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`);
    if (rows.length === 0) {
      expect(q).toMatchObject({
        available: false,
        source: 'pg_stat_user_tables',
        note: expect.stringMatching(/not installed.*shared_preload_libraries/),
      });
      expect((await vigil(['db', 'slow-queries'])).out).toMatch(/^NOTE: pg_stat_statements is not installed/);
    } else {
      expect(q).toMatchObject({ source: 'pg_stat_statements' });
    }
    expect((await vigil(['db', 'stats', '--schema', 'Bad-Name'])).code).toBe(2);
  });

  it('seeds 002-35, 002-36: audit verify exits 0 on the clean store and 1, naming the row, after a superuser edits it', async () => {
    const clean = await vigil(['audit', 'verify']);
    expect(clean.err + clean.out).toMatch(/VERIFIED/);
    expect(clean.code).toBe(0);
    const json = await vigil(['--json', 'audit', 'verify', '--no-witness']);
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({ ok: true, rows: expect.any(Number) });

    const s = `"${writer.schema}"`;
    const { rows } = await db.query(
      `SELECT event_id, chain_seq FROM ${s}.audit_logs WHERE user_id = $1 AND action = 'AUTH_LOGIN'`,
      [doraId],
    );
    await db.query(`ALTER TABLE ${s}.audit_logs DISABLE TRIGGER audit_logs_append_only`);
    try {
      await db.query(`UPDATE ${s}.audit_logs SET outcome = 'failure' WHERE event_id = $1`, [
        rows[0].event_id,
      ]);
    } finally {
      await db.query(`ALTER TABLE ${s}.audit_logs ENABLE ALWAYS TRIGGER audit_logs_append_only`);
    }
    const tampered = await vigil(['audit', 'verify']);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(new RegExp(`MODIFIED \\S+ @${rows[0].chain_seq} event ${rows[0].event_id}`));
    expect(tampered.out).toMatch(/FAILED/);
  });
});
