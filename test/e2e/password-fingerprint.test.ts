// Issue 19 item 1, producer half (seed 000-18, password spraying): a wrong password's
// FAILED_AUTH_LOGIN leaves the auth-gateway with a keyed fingerprint of the password, through the
// outbox to auth.events.v1 on the real broker, where the monitor can see one password tried on many
// accounts; the audit-writer drops it before the row is built, so audit_logs in PostgreSQL never
// holds it and `audit:verify` still passes; neither the fingerprint nor the password reaches a log.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { dlqTopic, PASSWORD_FINGERPRINT, type EventOf } from '@vigil/contracts';
import { createTopics, testDatabaseUrl, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { count, runAuditCli, superuser } from '../audit-writer/support';
import { startGateway, TopicTap, waitReady, type Gateway } from '../auth-gateway/support/gateway';
import { adminToken, createUser, http, ipFor } from '../auth-gateway/support/http';

const SPRAYED = 'Autumn-Spray-2026!';
const OTHER = 'Other-Wrong-Pass-71';
const ALICE = { username: 'fp.alice', password: 'Lamp-Orbit-Quartz-71' };
const BOB = { username: 'fp.bob', password: 'Tidal-Crayon-Ferment-88' };
const ERIN = { username: 'fp.erin', password: 'Velvet-Harbor-Sprocket-52' };
const CAROL = { username: 'fp.carol', password: 'Copper-Meadow-Lantern-19' };

describe('seed 000-18: the failed-password fingerprint from the gateway to the audit store', () => {
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-fp-'));
  const keyFile = path.join(keyDir, 'password-fingerprint.key');
  const auditKeys = mkdtempSync(path.join(os.tmpdir(), 'vigil-fp-audit-keys-'));
  let g: Gateway;
  let tap: TopicTap;
  let writer: TestApp;
  let db: Client;
  let admin: string;
  let n = 0;
  const gateways: Gateway[] = [];
  const fingerprints = new Set<string>();

  /** A login attempt from its own address (no throttle in the way); resolves with its event. */
  async function attempt(
    gw: Gateway,
    username: string,
    password: string,
    via: 'login' | 'token' = 'login',
  ): Promise<{ status: number; event: EventOf<'FAILED_AUTH_LOGIN'> | EventOf<'AUTH_LOGIN'> }> {
    const req =
      via === 'login'
        ? http(gw).post('/api/v1/auth/login').send({ username, password })
        : http(gw)
            .post('/api/v1/auth/token')
            .type('form')
            .send(`username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}`);
    const res = await req.set('X-Forwarded-For', ipFor(n++));
    const requestId = res.headers['x-request-id'];
    const event = await waitFor(
      () =>
        tap.events.find(
          (e) => e.requestId === requestId && (e.type === 'FAILED_AUTH_LOGIN' || e.type === 'AUTH_LOGIN'),
        ) as EventOf<'FAILED_AUTH_LOGIN'> | EventOf<'AUTH_LOGIN'> | undefined,
      { timeoutMs: 30000, what: `the event of ${via} for ${username}` },
    );
    return { status: res.status, event };
  }

  const fingerprintOf = (e: { attributes: object }) =>
    (e.attributes as { passwordFingerprint?: string }).passwordFingerprint;

  beforeAll(async () => {
    writeFileSync(keyFile, `${randomBytes(48).toString('base64')}\n`, { mode: 0o600 });
    g = await startGateway({ env: { PASSWORD_FINGERPRINT_KEY_FILE: keyFile } });
    gateways.push(g);
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    await createTopics([dlqTopic(g.topics.auth)], 3).catch(() => undefined);
    writer = await startApp('audit-writer', {
      AUDIT_TOPICS: g.topics.auth,
      KAFKA_GROUP_ID: `fp-writer-${g.topics.auth}`,
      AUDIT_KEY_DIR: auditKeys,
      AUDIT_CHECKPOINT_INTERVAL_MS: '300',
    });
    db = await superuser();
    admin = await adminToken(g);
    for (const u of [ALICE, BOB, ERIN, CAROL]) await createUser(g, admin, u);
  });
  afterAll(async () => {
    await tap?.stop();
    await db?.end();
    await writer?.close();
    for (const gw of gateways.reverse()) await gw.close();
    rmSync(keyDir, { recursive: true, force: true });
    rmSync(auditKeys, { recursive: true, force: true });
  });

  it('seed 000-18: one wrong password on two accounts and an unknown name, by /login and the token endpoint, has one fingerprint', async () => {
    const onAlice = await attempt(g, ALICE.username, SPRAYED);
    const onBob = await attempt(g, BOB.username, SPRAYED, 'token');
    const onGhost = await attempt(g, 'fp.nobody-by-this-name', SPRAYED);
    expect([onAlice.status, onBob.status, onGhost.status]).toEqual([401, 400, 401]);
    const fp = fingerprintOf(onAlice.event)!;
    expect(fp).toMatch(PASSWORD_FINGERPRINT);
    // The epoch is the day the attempt was made in (its event's time: no flake at midnight).
    expect(fp.split('.')[0]).toBe(String(Math.floor(Date.parse(onAlice.event.occurredAt) / 1000 / 86400)));
    expect([onAlice.event.reason, onBob.event.reason, onGhost.event.reason]).toEqual([
      'bad_password',
      'bad_password',
      'unknown_user',
    ]);
    expect(fingerprintOf(onBob.event)).toBe(fp);
    expect(fingerprintOf(onGhost.event)).toBe(fp);
    fingerprints.add(fp);
    // What a consumer reads off the topic: the raw record carries it (that is the point).
    expect(tap.raw.some((r) => r.includes(fp))).toBe(true);
  });

  it('seed 000-18: a different wrong password has a different fingerprint; a wrong current password at /password has one too', async () => {
    const other = await attempt(g, ALICE.username, OTHER);
    const fp = fingerprintOf(other.event)!;
    expect(fp).toMatch(PASSWORD_FINGERPRINT);
    expect(fingerprints.has(fp)).toBe(false);
    fingerprints.add(fp);
    const res = await http(g)
      .post('/api/v1/auth/password')
      .set('X-Forwarded-For', ipFor(n++))
      .send({ username: CAROL.username, currentPassword: SPRAYED, newPassword: 'Brand-New-Pass-4521' });
    expect(res.status).toBe(401);
    const changed = await tap.waitFor(
      'FAILED_AUTH_LOGIN',
      (e) => e.requestId === res.headers['x-request-id'],
    );
    expect(fingerprints.has(fingerprintOf(changed)!)).toBe(true); // the sprayed password's
  });

  it('seed 000-18: a right password carries none: a login, a locked account, a deactivated one', async () => {
    const ok = await attempt(g, ALICE.username, ALICE.password);
    expect(ok.status).toBe(200);
    expect(ok.event.type).toBe('AUTH_LOGIN');
    expect(fingerprintOf(ok.event)).toBeUndefined();

    const erinId = (
      await g.sql<{ id: string }>(`SELECT id FROM users WHERE username = $1`, [ERIN.username])
    )[0].id;
    const auth = { Authorization: `Bearer ${admin}` };
    expect(
      (await http(g).post(`/api/v1/admin/users/${erinId}/lock`).set(auth).send({ ttlSeconds: 600 })).status,
    ).toBe(200);
    const locked = await attempt(g, ERIN.username, ERIN.password);
    expect([locked.status, locked.event.reason]).toEqual([401, 'account_locked']);
    expect(fingerprintOf(locked.event)).toBeUndefined();
    // The same locked account with a wrong password: the cause is the password, so it has one.
    const lockedWrong = await attempt(g, ERIN.username, SPRAYED);
    expect(lockedWrong.event.reason).toBe('bad_password');
    expect(fingerprints.has(fingerprintOf(lockedWrong.event)!)).toBe(true);

    await g.sql(`UPDATE users SET is_active = false WHERE username = $1`, [CAROL.username]);
    const disabled = await attempt(g, CAROL.username, CAROL.password);
    expect([disabled.status, disabled.event.reason]).toEqual([401, 'account_disabled']);
    expect(fingerprintOf(disabled.event)).toBeUndefined();

    // An empty password is refused before any check: no event, no fingerprint.
    const before = tap.of('FAILED_AUTH_LOGIN').length;
    expect(
      (await http(g).post('/api/v1/auth/login').send({ username: ALICE.username, password: '' })).status,
    ).toBe(400);
    expect(tap.of('FAILED_AUTH_LOGIN')).toHaveLength(before);
  });

  it('seed 000-18: a second instance with the same key file agrees without coordination; a different rotation period does not', async () => {
    const second = await startGateway({ shareWith: g, env: { PASSWORD_FINGERPRINT_KEY_FILE: keyFile } });
    gateways.push(second);
    await waitReady(second);
    const [sprayed] = [...fingerprints];
    const fromSecond = await attempt(second, BOB.username, SPRAYED);
    expect(fingerprintOf(fromSecond.event)).toBe(sprayed);

    const hourly = await startGateway({
      shareWith: g,
      env: { PASSWORD_FINGERPRINT_KEY_FILE: keyFile, PASSWORD_FINGERPRINT_ROTATION_SECONDS: '3600' },
    });
    gateways.push(hourly);
    await waitReady(hourly);
    const hourlyEvent = (await attempt(hourly, BOB.username, SPRAYED)).event;
    const otherEpoch = fingerprintOf(hourlyEvent)!;
    expect(otherEpoch).toMatch(PASSWORD_FINGERPRINT);
    expect(otherEpoch.split('.')[0]).toBe(
      String(Math.floor(Date.parse(hourlyEvent.occurredAt) / 1000 / 3600)),
    );
    expect(otherEpoch.split('.')[1]).not.toBe(sprayed.split('.')[1]);
    fingerprints.add(otherEpoch);
  });

  it('seed 000-18: the audit rows in PostgreSQL hold no fingerprint and no password, and audit:verify passes', async () => {
    const failures = tap.of('FAILED_AUTH_LOGIN');
    const ids = failures.map((e) => e.id);
    expect(failures.filter((e) => fingerprintOf(e) !== undefined).length).toBeGreaterThanOrEqual(8);
    const s = writer.schema;
    await waitFor(
      async () => (await count(db, s, `event_id::text IN ('${ids.join("','")}')`)) === ids.length,
      {
        timeoutMs: 30000,
        what: 'every FAILED_AUTH_LOGIN in audit_logs',
      },
    );
    const { rows } = await db.query(
      `SELECT details FROM "${s}".audit_logs WHERE action = 'FAILED_AUTH_LOGIN' AND event_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    for (const r of rows) expect(Object.keys(r.details.attributes)).not.toContain('passwordFingerprint');
    const stored = JSON.stringify(
      (await db.query(`SELECT * FROM "${s}".audit_logs`)).rows.map((r) => ({ ...r, pii_salt: undefined })),
    );
    for (const secret of [...fingerprints, ...[...fingerprints].map((f) => f.split('.')[1]), SPRAYED, OTHER])
      expect({ secret, stored: stored.includes(secret) }).toEqual({ secret, stored: false });

    await waitFor(
      async () =>
        (
          await db.query(
            `SELECT 1 FROM "${s}".audit_checkpoints c JOIN "${s}".chain_heads h USING (chain_id) WHERE c.position = h.position`,
          )
        ).rowCount! > 0,
      { timeoutMs: 30000, what: 'a checkpoint at a chain head' },
    );
    const verify = await runAuditCli('verify', [], {
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: s,
      AUDIT_KEY_DIR: auditKeys,
      AUDIT_TOPICS: g.topics.auth,
    });
    expect(verify.out).toMatch(/VERIFIED/);
    expect(verify.out).not.toMatch(/FAILED/);
    expect(verify.code).toBe(0);
  });

  it('seed 000-18: an outbox row the relay sets aside as invalid keeps no fingerprint, and its error line names none', async () => {
    const published = tap.of('FAILED_AUTH_LOGIN').find((e) => fingerprintOf(e) !== undefined)!;
    const fp = fingerprintOf(published)!;
    const [{ event_id: id }] = await g.sql<{ event_id: string }>(
      `INSERT INTO outbox (event_id, event_type, event_key, payload)
       VALUES (gen_random_uuid(), 'FAILED_AUTH_LOGIN', 'x', $1::jsonb) RETURNING event_id`,
      [JSON.stringify({ ...published, attributes: { ...published.attributes, note: 'hand-edited' } })],
    );
    const [row] = await waitFor(
      async () => {
        const rows = await g.sql<{ payload: object; last_error: string }>(
          `SELECT payload, last_error FROM outbox WHERE event_id = $1 AND failed_at IS NOT NULL`,
          [id],
        );
        return rows.length ? rows : undefined;
      },
      { what: 'the invalid row set aside' },
    );
    expect(row.last_error).toContain('attributes.note');
    expect(JSON.stringify(row.payload)).not.toContain(fp);
    expect((row.payload as { attributes: object }).attributes).toEqual({
      attemptCount: expect.any(Number),
      note: 'hand-edited',
    });
    // Whichever instance holds the relay lock of the shared schema set it aside.
    const line = await waitFor(
      () => gateways.flatMap((gw) => gw.rawLogs).find((l) => l.includes('outbox row failed validation')),
      { what: 'the set-aside error line' },
    );
    expect(line).toBeDefined();
    expect(line).not.toContain(fp);
  });

  it("seed 000-18: neither the fingerprint nor the password is in any service's log lines, nor left in the gateway's outbox", async () => {
    const logs = [...gateways.flatMap((gw) => gw.rawLogs), ...writer.rawLogs].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain('/api/v1/auth/login'); // the access log lines are in there
    for (const secret of [...fingerprints, ...[...fingerprints].map((f) => f.split('.')[1]), SPRAYED, OTHER])
      expect({ secret, logged: logs.includes(secret) }).toEqual({ secret, logged: false });
    await waitFor(
      async () =>
        (await g.sql(`SELECT 1 FROM outbox WHERE published_at IS NULL AND failed_at IS NULL`)).length === 0,
      {
        what: 'the outbox drained',
      },
    );
    const outbox = JSON.stringify(await g.sql(`SELECT payload FROM outbox`));
    expect(outbox).toContain('FAILED_AUTH_LOGIN');
    for (const fp of fingerprints) expect(outbox).not.toContain(fp);
  });
});
