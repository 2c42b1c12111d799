// Issue 14 item 2, against the real Kafka and PostgreSQL: the gateway applies only security actions
// signed by the monitor's key and inside their validity, refuses each other one as a decision (a
// SECURITY_ACTION_REJECTED event and a metric, no DLQ), and keeps automation inside its policy:
// no admin is ever locked by it, at most SECURITY_ACTION_LOCK_CAP_PER_MINUTE accounts a minute,
// and its UNLOCK lifts only a lock a security action set.
import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('vigil-test-gateway-signed-actions');
import { createEvent, type EventOf } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { waitFor } from '@vigil/testing';
import { makeActionKeys, testActionKeys } from '../support/action-signing';
import { ADMIN, startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, login } from './support/http';

const CAP = 3;
const PASSWORD = 'Harbor-Quill-Meteor-25';

describe('auth-gateway: signed security actions and automation policy (issue 14 item 2)', () => {
  let g: Gateway;
  let tap: TopicTap;
  let admin: string;
  let adminId: string;
  const users: Record<string, string> = {};

  beforeAll(async () => {
    g = await startGateway({
      env: {
        SECURITY_ACTION_LOCK_CAP_PER_MINUTE: String(CAP),
        SECURITY_ACTION_MAX_VALIDITY_SECONDS: '600',
        SECURITY_ACTION_CLOCK_SKEW_SECONDS: '5',
      },
    });
    await waitReady(g);
    tap = await new TopicTap(g.topics.auth).start();
    admin = await adminToken(g);
    adminId = (await g.sql<{ id: string }>(`SELECT id FROM users WHERE username = $1`, [ADMIN.username]))[0]
      .id;
    for (const name of ['ivan', 'judy', 'ken', 'leo', 'mia', 'nina', 'oscar', 'pat', 'quinn']) {
      users[name] = await createUser(g, admin, { username: name, password: PASSWORD });
    }
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  const action = (
    attributes: Partial<EventOf<'SECURITY_ACTION'>['attributes']> &
      Pick<EventOf<'SECURITY_ACTION'>['attributes'], 'action' | 'target'>,
  ) =>
    createEvent('SECURITY_ACTION', {
      producer: 'security-monitor',
      outcome: 'success',
      attributes: { dryRun: false, ttlSeconds: 600, ...attributes },
    });
  const lock = (userId: string) =>
    action({ action: 'LOCK_ACCOUNT', target: { kind: 'user', value: userId } });
  const unlock = (userId: string) =>
    action({ action: 'UNLOCK_ACCOUNT', target: { kind: 'user', value: userId } });
  const send = (...events: EventOf<'SECURITY_ACTION'>[]) =>
    g.app.get(EventProducer).publish(g.topics.actions, events);
  const signed = (e: EventOf<'SECURITY_ACTION'>) => testActionKeys().sign(e);
  const result = async (id: string) =>
    (
      await g.sql<{ result: string }>(`SELECT result FROM applied_security_actions WHERE event_id = $1`, [id])
    )[0]?.result;
  const handled = (id: string) =>
    waitFor(() => result(id), { timeoutMs: 30000, what: `security action ${id} decided` });
  const rejection = (id: string) =>
    tap.waitFor('SECURITY_ACTION_REJECTED', (e) => e.attributes.actionEventId === id);
  const lockedBy = async (userId: string) =>
    (
      await g.sql<{ reason: string | null }>(
        `SELECT CASE WHEN locked_until > now() THEN lock_reason END AS reason FROM users WHERE id = $1`,
        [userId],
      )
    )[0].reason;
  const rejectedCount = async (reason: string) => {
    const text = (await http(g).get('/metrics')).text;
    const line = text
      .split('\n')
      .find((l) => l.startsWith('security_actions_rejected') && l.includes(`reason="${reason}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('seed 000-39: the per-minute cap on automated locks: beyond it LOCK_ACCOUNT is refused (lock_rate_cap, outcome denied) and the account stays open', async () => {
    const names = ['ivan', 'judy', 'ken', 'leo'];
    const locks = names.map((n) => signed(lock(users[n])));
    await send(...locks);
    const results = await Promise.all(locks.map((l) => handled(l.id)));
    expect([...results].sort()).toEqual(['applied', 'applied', 'applied', 'rejected_lock_rate_cap']);
    const refused = names[results.indexOf('rejected_lock_rate_cap')];
    for (const n of names) expect(await lockedBy(users[n])).toBe(n === refused ? null : 'security_action');
    expect((await login(g, refused, PASSWORD)).status).toBe(200);
    const ev = await rejection(locks[names.indexOf(refused)].id);
    expect(ev).toMatchObject({
      outcome: 'denied',
      reason: 'lock_rate_cap',
      subject: { userId: users[refused] },
      attributes: { rejection: 'lock_rate_cap', action: 'LOCK_ACCOUNT', kid: testActionKeys().kid },
    });
    await waitFor(async () => (await rejectedCount('lock_rate_cap')) >= 1, {
      what: 'the lock_rate_cap metric',
    });
    // A minute later the cap has room again (the applied locks are aged rather than waited for).
    await g.sql(
      `UPDATE applied_security_actions SET applied_at = applied_at - interval '61 seconds' WHERE action = 'LOCK_ACCOUNT'`,
    );
    const again = signed(lock(users[refused]));
    await send(again);
    expect(await handled(again.id)).toBe('applied');
    expect(await lockedBy(users[refused])).toBe('security_action');
    await g.sql(
      `UPDATE applied_security_actions SET applied_at = applied_at - interval '61 seconds' WHERE action = 'LOCK_ACCOUNT'`,
    );
  });

  it('refuses unsigned, forged, unknown-key and expired actions: nothing applied, one SECURITY_ACTION_REJECTED each, counted by reason, no DLQ', async () => {
    const before = {
      unsigned: await rejectedCount('unsigned'),
      unknown_key: await rejectedCount('unknown_key'),
      bad_signature: await rejectedCount('bad_signature'),
      expired: await rejectedCount('expired'),
    };
    const intruder = makeActionKeys(); // a key the gateway does not trust
    const unsigned = lock(users.mia);
    const byIntruder = intruder.sign(lock(users.mia));
    const genuine = signed(lock(users.mia));
    // The intruder's signature under the trusted kid: the claim of the right key does not help.
    const forged = intruder.sign(lock(users.mia));
    forged.attributes.signature = { ...forged.attributes.signature!, kid: testActionKeys().kid };
    // A captured genuine action with its target swapped.
    const swapped = {
      ...genuine,
      attributes: { ...genuine.attributes, target: { kind: 'user' as const, value: users.nina } },
    };
    const expired = testActionKeys().sign(lock(users.mia), {
      now: new Date(Date.now() - 400_000),
      validitySeconds: 300,
    });
    await send(unsigned, byIntruder, forged, swapped, expired);

    const reasons = await Promise.all(
      [unsigned, byIntruder, forged, swapped, expired].map(
        async (e) => (await rejection(e.id)).attributes.rejection,
      ),
    );
    expect(reasons).toEqual(['unsigned', 'unknown_key', 'bad_signature', 'bad_signature', 'expired']);
    const byId = await rejection(byIntruder.id);
    expect(byId).toMatchObject({
      outcome: 'failure',
      producer: 'auth-gateway',
      attributes: { kid: intruder.kid, target: { kind: 'user', value: users.mia } },
    });
    expect(await lockedBy(users.mia)).toBeNull();
    expect(await lockedBy(users.nina)).toBeNull();
    expect((await login(g, 'mia', PASSWORD)).status).toBe(200);
    // Not recorded under their ids: a forgery cannot burn the id of the genuine command.
    for (const e of [unsigned, byIntruder, forged, expired]) expect(await result(e.id)).toBeUndefined();
    await waitFor(async () => (await rejectedCount('expired')) > before.expired, {
      what: 'the rejection metric',
    });
    expect(await rejectedCount('unsigned')).toBe(before.unsigned + 1);
    expect(await rejectedCount('unknown_key')).toBe(before.unknown_key + 1);
    expect(await rejectedCount('bad_signature')).toBe(before.bad_signature + 2);
    expect(await rejectedCount('expired')).toBe(before.expired + 1);
    // Decided, not poison: the consumer went on, and the genuine command still applies.
    await send(genuine);
    expect(await handled(genuine.id)).toBe('applied');
    expect(await lockedBy(users.mia)).toBe('security_action');
    expect(g.rawLogs.some((l) => l.includes(genuine.attributes.signature!.value))).toBe(false);
  });

  it('refuses a replayed action (its id was applied before) with an event, and applies nothing twice', async () => {
    const first = signed(unlock(users.mia));
    await send(first);
    expect(await handled(first.id)).toBe('applied');
    expect(await lockedBy(users.mia)).toBeNull();
    const relock = signed(lock(users.mia));
    await send(relock);
    expect(await handled(relock.id)).toBe('applied');
    await send(first); // the same signed bytes again, still inside their validity
    const ev = await rejection(first.id);
    expect(ev).toMatchObject({
      outcome: 'failure',
      reason: 'replayed',
      attributes: { rejection: 'replayed' },
    });
    expect(await lockedBy(users.mia)).toBe('security_action');
    expect(await result(first.id)).toBe('applied');
  });

  it('never locks an admin automatically: LOCK_ACCOUNT on an admin is refused (admin_target, outcome denied), the admin can still log in', async () => {
    const onAdmin = signed(lock(adminId));
    await send(onAdmin);
    expect(await handled(onAdmin.id)).toBe('rejected_admin_target');
    expect(await lockedBy(adminId)).toBeNull();
    expect((await login(g, ADMIN.username, ADMIN.password)).status).toBe(200);
    const ev = await rejection(onAdmin.id);
    expect(ev).toMatchObject({
      outcome: 'denied',
      reason: 'admin_target',
      subject: { userId: adminId },
      attributes: { rejection: 'admin_target', action: 'LOCK_ACCOUNT' },
    });
    expect(tap.of('ACCOUNT_LOCKED').filter((e) => e.subject?.userId === adminId)).toEqual([]);
  });

  it("UNLOCK_ACCOUNT lifts only a security action's lock: an admin's lock and the failed-login lockout stay", async () => {
    // An admin's lock: a security LOCK does not take it over, a security UNLOCK does not lift it.
    const res = await http(g)
      .post(`/api/v1/admin/users/${users.oscar}/lock`)
      .set('Authorization', `Bearer ${admin}`)
      .send({});
    expect(res.status).toBe(200);
    const takeOver = signed(lock(users.oscar));
    await send(takeOver);
    expect(await handled(takeOver.id)).toBe('admin_lock_kept');
    const lift = signed(unlock(users.oscar));
    await send(lift);
    expect(await handled(lift.id)).toBe('not_security_lock');
    expect(await lockedBy(users.oscar)).toBe('admin');
    expect((await login(g, 'oscar', PASSWORD)).status).toBe(401);

    // The lockout (more than 5 failures in 10 minutes): a security UNLOCK leaves it in force.
    for (let i = 0; i < 7; i++) await login(g, 'pat', 'Wrong-Password-Entirely-1', `203.0.113.${100 + i}`);
    const lockedOut = await login(g, 'pat', PASSWORD, '203.0.113.120');
    expect(lockedOut.status).not.toBe(200);
    const liftLockout = signed(unlock(users.pat));
    await send(liftLockout);
    expect(await handled(liftLockout.id)).toBe('not_security_lock');
    expect((await login(g, 'pat', PASSWORD, '203.0.113.121')).status).toBe(lockedOut.status);
    expect(
      tap
        .of('ACCOUNT_UNLOCKED')
        .filter((e) => e.subject?.userId === users.pat || e.subject?.userId === users.oscar),
    ).toEqual([]);
  });
});
