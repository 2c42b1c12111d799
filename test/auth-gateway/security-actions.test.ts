// security.actions.v1 from the monitor, against the real Kafka and PostgreSQL, with two gateway
// instances on one schema: whichever instance consumes a command, both enforce it (the state is in
// PostgreSQL), the resulting events are emitted once, dry runs change nothing, redelivery is a no-op.
import { createHash } from 'node:crypto';
import { createEvent, type EventOf } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { waitFor } from '@vigil/testing';
import { testActionKeys } from '../support/action-signing';
import { startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, login } from './support/http';

const GRACE = { username: 'grace', password: 'Harbor-Quill-Meteor-25' };
const alertId = createHash('sha256').update('failed-logins-per-user:user:grace').digest('hex');

describe('auth-gateway: security actions across instances', () => {
  let a: Gateway;
  let b: Gateway;
  let tap: TopicTap;
  let graceId: string;

  beforeAll(async () => {
    a = await startGateway();
    b = await startGateway({ shareWith: a });
    await Promise.all([waitReady(a), waitReady(b)]);
    tap = await new TopicTap(a.topics.auth).start();
    graceId = await createUser(a, await adminToken(a), GRACE);
  });
  afterAll(async () => {
    await tap?.stop();
    await b?.close();
    await a?.close();
  });

  function command(
    attributes: EventOf<'SECURITY_ACTION'>['attributes'],
    id?: string,
  ): EventOf<'SECURITY_ACTION'> {
    return testActionKeys().sign(
      createEvent('SECURITY_ACTION', {
        ...(id ? { id } : {}),
        producer: 'security-monitor',
        outcome: 'success',
        attributes,
      }),
    );
  }
  const send = (...events: EventOf<'SECURITY_ACTION'>[]) =>
    a.app.get(EventProducer).publish(a.topics.actions, events);
  const applied = async (id: string) =>
    (
      await a.sql<{ result: string }>(`SELECT result FROM applied_security_actions WHERE event_id = $1`, [id])
    )[0]?.result;
  const until = (id: string) =>
    waitFor(() => applied(id), { timeoutMs: 30000, what: `security action ${id} handled` });

  it('LOCK_ACCOUNT locks on every instance and emits ACCOUNT_LOCKED with the alert id; UNLOCK_ACCOUNT lifts it', async () => {
    const lock = command({
      action: 'LOCK_ACCOUNT',
      target: { kind: 'user', value: graceId },
      ttlSeconds: 900,
      alertId,
      ruleId: 'failed-logins-per-user',
      dryRun: false,
    });
    await send(lock);
    expect(await until(lock.id)).toBe('applied');
    const ev = await tap.waitFor('ACCOUNT_LOCKED', (e) => e.subject?.userId === graceId);
    expect(ev).toMatchObject({ attributes: { trigger: 'security_action', alertId } });
    expect((await login(a, 'grace', GRACE.password)).status).toBe(401);
    expect((await login(b, 'grace', GRACE.password)).status).toBe(401);

    const unlock = command({
      action: 'UNLOCK_ACCOUNT',
      target: { kind: 'user', value: graceId },
      dryRun: false,
    });
    await send(unlock);
    expect(await until(unlock.id)).toBe('applied');
    await tap.waitFor(
      'ACCOUNT_UNLOCKED',
      (e) => e.subject?.userId === graceId && e.attributes.trigger === 'security_action',
    );
    expect((await login(b, 'grace', GRACE.password)).status).toBe(200);
  });

  it('seed 003-25: BLOCK_IP with a TTL refuses that address on both instances (403, ACCESS_DENIED) and no other', async () => {
    const ip = '203.0.113.66';
    const block = command({
      action: 'BLOCK_IP',
      target: { kind: 'ip', value: ip },
      ttlSeconds: 600,
      alertId,
      dryRun: false,
    });
    await send(block);
    expect(await until(block.id)).toBe('applied');
    // The block itself is audited, as an admin's is: IP_BLOCKED, trigger security_action, no actor.
    const blocked = await tap.waitFor('IP_BLOCKED', (e) => e.attributes.ip === ip);
    expect(blocked).toMatchObject({
      outcome: 'success',
      reason: 'security_action',
      attributes: { ip, trigger: 'security_action', ttlSeconds: 600 },
    });
    expect(blocked.actor).toBeUndefined();
    expect(Date.parse(blocked.attributes.blockedUntil) - Date.parse(blocked.occurredAt)).toBeGreaterThan(
      590_000,
    );
    for (const g of [a, b]) {
      const res = await login(g, 'grace', GRACE.password, ip);
      expect(res.status).toBe(403);
      expect(res.body.type).toBe('https://vigil.dev/problems/ip-blocked');
      await tap.waitFor(
        'ACCESS_DENIED',
        (e) => e.requestId === res.headers['x-request-id'] && e.reason === 'ip_blocked',
      );
    }
    expect((await http(a).get('/api/v1/health').set('X-Forwarded-For', ip)).status).toBe(200);
    expect((await login(b, 'grace', GRACE.password, '203.0.113.67')).status).toBe(200);
    // Express routes case-insensitively and tolerates a trailing slash: every spelling that reaches
    // the login route meets the same 403 (issue 14 item 5).
    for (const path of [
      '/API/v1/auth/login',
      '/Api/V1/Auth/Login',
      '/api/v1/auth/login/',
      '/API/v1/auth/token/',
    ]) {
      const res = await http(a)
        .post(path)
        .set('X-Forwarded-For', ip)
        .send({ username: 'grace', password: GRACE.password });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    const [row] = await a.sql<{ secs: number }>(
      `SELECT extract(epoch FROM blocked_until - now())::int AS secs FROM ip_blocks WHERE ip = $1`,
      [ip],
    );
    expect(row.secs).toBeGreaterThan(590);
  });

  it('seed 000-43: REVOKE_SESSIONS ends every session (TOKEN_REVOKED, trigger security_action)', async () => {
    const s1 = (await login(a, 'grace', GRACE.password)).body;
    const s2 = (await login(b, 'grace', GRACE.password)).body;
    const revoke = command({
      action: 'REVOKE_SESSIONS',
      target: { kind: 'user', value: graceId },
      dryRun: false,
    });
    await send(revoke);
    expect(await until(revoke.id)).toBe('applied');
    const ev = await tap.waitFor(
      'TOKEN_REVOKED',
      (e) => e.subject?.userId === graceId && e.attributes.trigger === 'security_action',
    );
    expect(ev.attributes.revokedCount).toBeGreaterThanOrEqual(2);
    for (const [g, s] of [
      [a, s1],
      [b, s2],
      [a, s2],
    ] as const) {
      expect(
        (await http(g).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.access_token}`)).status,
      ).toBe(401);
    }
    expect((await http(b).post('/api/v1/auth/refresh').send({ refreshToken: s1.refresh_token })).status).toBe(
      401,
    );
  });

  it('honours dryRun: recorded and logged, nothing changed, no event', async () => {
    const s = (await login(a, 'grace', GRACE.password)).body;
    const dry = command({ action: 'LOCK_ACCOUNT', target: { kind: 'user', value: graceId }, dryRun: true });
    await send(dry);
    expect(await until(dry.id)).toBe('dry_run');
    expect((await login(b, 'grace', GRACE.password)).status).toBe(200);
    expect(
      (await http(a).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.access_token}`)).status,
    ).toBe(200);
    const logged = [...a.logs, ...b.logs].find(
      (l) => l.message === 'security action (dry run): would apply, changed nothing',
    );
    expect(logged).toMatchObject({ eventId: dry.id, action: 'LOCK_ACCOUNT' });
  });

  it('a redelivered command (same event id) is applied once; the copy is refused as a replay', async () => {
    const lock = command({
      action: 'LOCK_ACCOUNT',
      target: { kind: 'user', value: graceId },
      ttlSeconds: 60,
      dryRun: false,
    });
    await send(lock, lock);
    expect(await until(lock.id)).toBe('applied');
    const marker = command({
      action: 'UNLOCK_ACCOUNT',
      target: { kind: 'user', value: graceId },
      dryRun: false,
    });
    await send(marker); // same partition (same key): handled after both copies
    expect(await until(marker.id)).toBe('applied');
    await tap.waitFor(
      'ACCOUNT_UNLOCKED',
      (e) =>
        e.subject?.userId === graceId &&
        tap.of('ACCOUNT_LOCKED').filter((l) => l.subject?.userId === graceId).length >= 2,
    );
    const locks = tap.of('ACCOUNT_LOCKED').filter((e) => e.subject?.userId === graceId);
    expect(locks).toHaveLength(2); // the first test's lock and this one, not three
    await tap.waitFor(
      'SECURITY_ACTION_REJECTED',
      (e) => e.attributes.actionEventId === lock.id && e.attributes.rejection === 'replayed',
    );
  });

  it('a command for an unknown user is recorded, not retried, and changes nothing', async () => {
    const ghost = command({
      action: 'REVOKE_SESSIONS',
      target: { kind: 'user', value: '0b2f4c1e-0000-4000-8000-000000000000' },
      dryRun: false,
    });
    await send(ghost);
    expect(await until(ghost.id)).toBe('unknown_target');
  });
});
