// The `vigil` operator CLI's operations commands (issue 16 item 5) against the running system: the
// four services in-process on real ports (real PostgreSQL, real Kafka), the CLI's run() called with
// an environment pointing at them and a capturing io. Each command's effect is checked on the
// server side (a refused login, a 503, a new kid in the JWKS, debug lines in a service's log), its
// --json output parsed and its exit code checked; one real `bin/vigil --help` process too.
// Passwords and tokens never appear in the CLI's output or the services' logs.
import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { dlqTopic } from '@vigil/contracts';
import { createTopics, kafkaBrokers, waitFor } from '@vigil/testing';
import { run } from '../../apps/vigil-cli/src/program';
import { createEdge, loadRouteTable } from '../../deploy/local/edge';
import type { CliIo } from '../../apps/vigil-cli/src/output';
import { ADMIN, startGateway, TopicTap, type Gateway } from '../auth-gateway/support/gateway';
import { createUser, http, login } from '../auth-gateway/support/http';
import { bootMonitor, monitorFixture, type MonitorApp } from '../security-monitor/support';
import { startApp, type TestApp } from '../support/apps';

const ROOT = path.resolve(__dirname, '../..');
const OLIVE = { username: 'olive', password: 'Tundra-Walnut-Compass-71' };
const OLIVE_NEW = 'Harbor-Violet-Sextant-38';
const OLIVE_TEMP = 'Temporary-Quartz-Ferry-19';
const PETER = { username: 'peter', password: 'Granite-Lemon-Bicycle-55' };
const SECRETS = [ADMIN.password, OLIVE.password, OLIVE_NEW, OLIVE_TEMP, PETER.password];

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('vigil operations commands against the running system (issue 16 item 5)', () => {
  let gw: Gateway;
  let writer: TestApp;
  let monitor: MonitorApp;
  let monitorFx: Awaited<ReturnType<typeof monitorFixture>>;
  let retention: TestApp;
  let tap: TopicTap;
  let env: Record<string, string>;
  let deadUrl: string;
  let edge: Server;
  let edgeUrl: string;
  const outputs: string[] = [];
  const tokensSeen: string[] = [];

  /** Runs the CLI like a shell would, capturing what it prints. */
  async function vigil(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliRun> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      interactive: false,
      env: { ...env, ...extraEnv },
    };
    const code = await run(args, io);
    const stdout = out.join('\n');
    const stderr = err.join('\n');
    outputs.push(stdout, stderr);
    return {
      code,
      stdout,
      stderr,
      json: <T>() => JSON.parse(stdout) as T,
    };
  }

  const loginAs = async (u: string, p: string, ip = '203.0.113.60') => {
    const res = await login(gw, u, p, ip);
    if (res.body?.access_token) tokensSeen.push(res.body.access_token, res.body.refresh_token);
    return res;
  };

  beforeAll(async () => {
    gw = await startGateway({ logLevel: 'info' });
    await gw.app.listen(0, '127.0.0.1');
    const gwUrl = (await gw.app.getUrl()).replace('[::1]', '127.0.0.1');
    const jwks = `${gwUrl}/.well-known/jwks.json`;
    await createTopics([gw.topics.auth, dlqTopic(gw.topics.auth)], 3).catch(() => undefined);
    tap = await new TopicTap(gw.topics.auth).start();
    writer = await startApp(
      'audit-writer',
      {
        AUDIT_TOPICS: gw.topics.auth,
        AUTH_EVENTS_TOPIC: gw.topics.auth,
        KAFKA_GROUP_ID: `vigil-ops-writer-${gw.topics.auth}`,
        AUTH_JWKS_URL: jwks,
        AUDIT_KEY_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-ops-keys-')),
      },
      { logLevel: 'info' },
    );
    monitorFx = await monitorFixture('vigil-ops');
    monitor = await bootMonitor(monitorFx, { AUTH_EVENTS_TOPIC: gw.topics.auth, AUTH_JWKS_URL: jwks });
    retention = await startApp(
      'retention-worker',
      {
        AUDIT_DB_SCHEMA: writer.schema,
        AUTH_JWKS_URL: jwks,
        AUTH_EVENTS_TOPIC: gw.topics.auth,
        KAFKA_GROUP_ID: `vigil-ops-retention-${gw.topics.auth}`,
        ARCHIVE_STORE: 'local',
        ARCHIVE_DIR: mkdtempSync(path.join(os.tmpdir(), 'vigil-ops-archive-')),
        RETENTION_SCHEDULE: 'off',
        BACKUP_SCHEDULE: 'off',
      },
      { logLevel: 'info' },
    );
    const urls: string[] = [];
    for (const app of [writer.app, monitor.app, retention.app]) {
      await app.listen(0, '127.0.0.1');
      urls.push((await app.getUrl()).replace('[::1]', '127.0.0.1'));
    }
    for (const [what, app] of [
      ['gateway', gw.app],
      ['writer', writer.app],
      ['monitor', monitor.app],
      ['retention', retention.app],
    ] as const) {
      await waitFor(async () => (await request(app.getHttpServer()).get('/health')).status === 200, {
        timeoutMs: 90000,
        what: `${what} ready`,
      });
    }
    deadUrl = `http://127.0.0.1:${await closedPort()}`;
    // The one base URL (deploy/local/edge.js over deploy/routes.json), as npm start runs it.
    edge = createEdge({
      table: loadRouteTable(),
      upstreams: {
        'auth-gateway': gwUrl,
        'audit-writer': urls[0],
        'security-monitor': urls[1],
        'retention-worker': urls[2],
      },
    });
    await new Promise<void>((r) => edge.listen(0, '127.0.0.1', () => r()));
    edgeUrl = `http://127.0.0.1:${(edge.address() as net.AddressInfo).port}`;
    env = {
      VIGIL_BASE_URL: deadUrl, // every service has its own URL here; nothing may fall back to this
      VIGIL_GATEWAY_URL: gwUrl,
      VIGIL_AUDIT_URL: urls[0],
      VIGIL_MONITOR_URL: urls[1],
      VIGIL_RETENTION_URL: urls[2],
      VIGIL_ADMIN_USERNAME: ADMIN.username,
      VIGIL_ADMIN_PASSWORD: ADMIN.password,
      VIGIL_ADMIN_CREDENTIALS_FILE: '/nonexistent/never-read',
      VIGIL_HTTP_TIMEOUT_MS: '20000',
      // The DLQ depth in `status` is read from the broker, as the local admin.
      ...(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('KAFKA_'))) as Record<
        string,
        string
      >),
      KAFKA_BROKERS: kafkaBrokers().join(','),
    };
    const admin = (await loginAs(ADMIN.username, ADMIN.password, '203.0.113.1')).body.access_token;
    await createUser(gw, admin, OLIVE);
    await createUser(gw, admin, PETER);
  }, 180000);

  afterAll(async () => {
    await new Promise<void>((r) => (edge ? edge.close(() => r()) : r()));
    await tap?.stop();
    await retention?.close();
    await monitor?.close();
    await monitorFx?.db.drop();
    await writer?.close();
    await gw?.close();
  });

  it('`bin/vigil --help` runs as a real process and lists every operations command', () => {
    const r = spawnSync(path.join(ROOT, 'bin/vigil'), ['--help'], {
      encoding: 'utf8',
      env: { ...process.env, VIGIL_CLI_FROM_SOURCE: '1' },
      timeout: 120000,
    });
    expect(r.status).toBe(0);
    for (const cmd of ['smoke', 'status', 'users', 'sessions', 'ip', 'keys', 'maintenance', 'log-level'])
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    expect(r.stdout).toContain('Exit codes: 0 done, 1 failed or refused, 2 usage');
  });

  it('every operations command and subcommand has help (exit 0)', async () => {
    for (const args of [
      ['smoke'],
      ['status'],
      ['users', 'reset-password'],
      ['sessions', 'revoke-all'],
      ['ip', 'block'],
      ['keys', 'rotate'],
      ['maintenance', 'on'],
      ['log-level', 'set'],
    ]) {
      const r = await vigil([...args, '--help']);
      expect(`${args.join(' ')}: ${r.code}`).toBe(`${args.join(' ')}: 0`);
      expect(r.stdout).toContain(`Usage: vigil ${args.join(' ')}`);
    }
  });

  it('seeds 000-46, 002-21, 002-25, 004-57, 004-59: smoke passes every step (health, login, /me, /api/auth/me, refresh, revoke), timed', async () => {
    const human = await vigil(['smoke'], {
      VIGIL_SMOKE_USERNAME: PETER.username,
      VIGIL_SMOKE_PASSWORD: PETER.password,
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^PASS {2}login +[\d.]+ ms {2}as peter/m);
    const r = await vigil(['--json', 'smoke']);
    expect(r.code).toBe(0);
    const body = r.json<{ ok: boolean; steps: Array<{ step: string; ok: boolean; ms: number }> }>();
    expect(body.ok).toBe(true);
    expect(body.steps.map((s) => s.step)).toEqual(['health', 'login', 'me', 'me alias', 'refresh', 'revoke']);
    expect(body.steps.every((s) => s.ok && s.ms >= 0)).toBe(true);
    // The smoke test's session was revoked at its end (TOKEN_REVOKED for the admin, by the user).
    await tap.waitFor(
      'TOKEN_REVOKED',
      (e) => e.attributes.trigger === 'user' && e.actor?.userId !== undefined,
    );
  });

  it('smoke: a wrong password fails the login step (exit 1); an unreachable gateway exits 3', async () => {
    const bad = await vigil(['--json', 'smoke'], {
      VIGIL_SMOKE_USERNAME: PETER.username,
      VIGIL_SMOKE_PASSWORD: 'not-his-password-1',
    });
    expect(bad.code).toBe(1);
    expect(bad.json<{ steps: Array<{ step: string; ok: boolean; detail: string }> }>().steps).toEqual([
      expect.objectContaining({ step: 'health', ok: true }),
      expect.objectContaining({
        step: 'login',
        ok: false,
        detail: expect.stringContaining('expected 200, got 401'),
      }),
    ]);
    const down = await vigil(['smoke'], { VIGIL_GATEWAY_URL: deadUrl });
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/FAIL {2}health .*unreachable/);
  });

  it('seed 000-49: status shows the four services up and the daily checks; a service down exits 3', async () => {
    const r = await vigil(['--json', 'status']);
    const body = r.json<{
      exitCode: number;
      checks: Array<{ check: string; verdict: string; detail: string }>;
    }>();
    for (const svc of ['auth-gateway', 'audit-writer', 'security-monitor', 'retention-worker'])
      expect(body.checks.find((c) => c.check === svc)?.verdict).toBe('ok');
    expect(body.checks.find((c) => c.check === 'maintenance mode')).toMatchObject({
      verdict: 'ok',
      detail: 'off',
    });
    for (const check of [
      'last checkpoint',
      'firing alerts (24h)',
      'last backup',
      'last retention run',
      'archives',
    ])
      expect(body.checks.map((c) => c.check)).toContain(check);
    // Seed 000-49's alert queues: the DLQs read from the broker (records there from other suites warn).
    expect(body.checks.find((c) => c.check === 'DLQ depth')).toMatchObject({
      verdict: expect.stringMatching(/^(ok|warn)$/),
      detail: expect.stringMatching(/every DLQ empty|record\(s\)/),
    });
    expect(r.code).toBe(body.exitCode);
    expect(r.code).not.toBe(3);
    const human = await vigil(['status']);
    expect(human.stdout).toMatch(/^security-monitor +ok/m);

    const down = await vigil(['--json', 'status'], { VIGIL_MONITOR_URL: deadUrl });
    expect(down.code).toBe(3);
    expect(down.json<{ checks: Array<{ check: string; verdict: string }> }>().checks).toContainEqual(
      expect.objectContaining({ check: 'security-monitor', verdict: 'down' }),
    );
  });

  it('behind the one base URL (the edge), with no per-service URL: smoke, status and log-level reach all four services through their API prefixes', async () => {
    const only = {
      VIGIL_BASE_URL: edgeUrl,
      VIGIL_GATEWAY_URL: undefined,
      VIGIL_AUDIT_URL: undefined,
      VIGIL_MONITOR_URL: undefined,
      VIGIL_RETENTION_URL: undefined,
    };
    const smoke = await vigil(['--json', 'smoke'], only);
    expect(smoke.code).toBe(0);
    expect(smoke.json()).toMatchObject({ ok: true, baseUrl: edgeUrl });
    const status = await vigil(['--json', 'status'], only);
    const body = status.json<{
      checks: Array<{ check: string; verdict: string }>;
      services: Array<{ url: string }>;
    }>();
    for (const svc of ['auth-gateway', 'audit-writer', 'security-monitor', 'retention-worker'])
      expect(body.checks.find((c) => c.check === svc)?.verdict).toBe('ok');
    expect(body.services.every((x) => x.url.startsWith(edgeUrl))).toBe(true);
    expect(status.code).not.toBe(3);
    const levels = await vigil(['--json', 'log-level', 'get'], only);
    expect(levels.code).toBe(0);
    expect(levels.json<Array<{ service: string }>>().map((r) => r.service)).toEqual([
      'auth-gateway',
      'audit-writer',
      'security-monitor',
      'retention-worker',
    ]);
  });

  it('seed 002-30: users lock refuses the login (and the reason is audited); unlock lets it in again; show tells the state', async () => {
    const shown = await vigil(['--json', 'users', 'show', 'olive']);
    expect(shown.code).toBe(0);
    expect(shown.json()).toMatchObject({
      username: 'olive',
      isActive: true,
      lockedUntil: null,
      mustResetPassword: false,
    });
    const before = await loginAs(OLIVE.username, OLIVE.password);
    expect(before.status).toBe(200);

    const locked = await vigil([
      'users',
      'lock',
      'olive',
      '--ttl',
      '1h',
      '--reason',
      'INC-1 credential dump',
    ]);
    expect(locked.code).toBe(0);
    expect(locked.stdout).toMatch(/^locked olive for 1h \(until \d{4}-/);
    expect((await loginAs(OLIVE.username, OLIVE.password)).status).toBe(401);
    // Existing tokens stop working too.
    expect(
      (await http(gw).get('/api/v1/auth/me').set('Authorization', `Bearer ${before.body.access_token}`))
        .status,
    ).toBe(401);
    await tap.waitFor(
      'ACCOUNT_LOCKED',
      (e) => e.attributes.trigger === 'admin' && e.attributes.note === 'INC-1 credential dump',
    );
    expect((await vigil(['--json', 'users', 'show', 'olive'])).json()).toMatchObject({ lockReason: 'admin' });

    const unlocked = await vigil(['users', 'unlock', 'olive']);
    expect(unlocked.code).toBe(0);
    expect((await loginAs(OLIVE.username, OLIVE.password)).status).toBe(200);
  });

  it('exit codes: a usage error is 2 and sends nothing; a refusal is 1; an unreachable service is 3', async () => {
    const bigTtl = await vigil(['users', 'lock', 'olive', '--ttl', '40d']);
    expect(bigTtl.code).toBe(2);
    expect(bigTtl.stderr).toContain('--ttl: 40d is out of range');
    expect((await loginAs(OLIVE.username, OLIVE.password)).status).toBe(200); // not locked
    expect((await vigil(['users', 'lock'])).code).toBe(2); // missing argument
    expect((await vigil(['log-level', 'set', 'verbose'])).code).toBe(2);
    expect((await vigil(['log-level', 'get', 'kafka'])).code).toBe(2);
    expect((await vigil(['ip', 'block', 'not-an-ip', '--ttl', '1h', '--reason', 'x'])).code).toBe(2);
    expect((await vigil(['sessions', 'revoke-all'])).code).toBe(2); // --reason is required

    const nobody = await vigil(['--json', 'users', 'show', 'nobody-here']);
    expect(nobody.code).toBe(1);
    expect(nobody.json()).toMatchObject({ exitCode: 1, error: expect.stringContaining('no user') });
    const notBlocked = await vigil(['ip', 'unblock', '198.51.100.250']);
    expect(notBlocked.code).toBe(1);
    expect(notBlocked.stderr).toContain('404');
    const noCreds = await vigil(['maintenance', 'status'], {
      VIGIL_ADMIN_USERNAME: '',
      VIGIL_ADMIN_PASSWORD: '',
    });
    expect(noCreds.code).toBe(2);

    const unreachable = await vigil(['ip', 'list'], { VIGIL_GATEWAY_URL: deadUrl });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/unreachable/);
  });

  it('seed 000-44: reset-password ends the sessions; the old password is refused with password-change-required until the user sets a new one', async () => {
    const s = await loginAs(OLIVE.username, OLIVE.password);
    expect(s.status).toBe(200);
    const r = await vigil([
      '--json',
      'users',
      'reset-password',
      'olive',
      '--reason',
      'password in breach corpus',
    ]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ username: 'olive', mustResetPassword: true });
    expect(
      (await http(gw).post('/api/v1/auth/refresh').send({ refreshToken: s.body.refresh_token })).status,
    ).toBe(401);

    const refused = await loginAs(OLIVE.username, OLIVE.password);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ type: 'https://vigil.dev/problems/password-change-required' });
    expect(refused.body.access_token).toBeUndefined();
    expect((await loginAs(OLIVE.username, 'Wrong-Password-Guess-1')).status).toBe(401); // no hint without the password
    await tap.waitFor('PASSWORD_RESET_REQUIRED', (e) => e.attributes.note === 'password in breach corpus');
    await tap.waitFor('FAILED_AUTH_LOGIN', (e) => e.reason === 'password_reset_required');

    const same = await http(gw)
      .post('/api/v1/auth/password')
      .set('X-Forwarded-For', '203.0.113.60')
      .send({ username: 'olive', currentPassword: OLIVE.password, newPassword: OLIVE.password });
    expect(same.status).toBe(400);
    const changed = await http(gw)
      .post('/api/v1/auth/password')
      .set('X-Forwarded-For', '203.0.113.60')
      .send({ username: 'olive', currentPassword: OLIVE.password, newPassword: OLIVE_NEW });
    expect(changed.status).toBe(200);
    expect(changed.body.access_token).toEqual(expect.any(String));
    tokensSeen.push(changed.body.access_token, changed.body.refresh_token);
    await tap.waitFor('PASSWORD_CHANGED', (e) => e.attributes.trigger === 'self_service');
    expect((await loginAs(OLIVE.username, OLIVE_NEW)).status).toBe(200);
    expect((await loginAs(OLIVE.username, OLIVE.password)).status).toBe(401);
    expect((await vigil(['--json', 'users', 'show', 'olive'])).json()).toMatchObject({
      mustResetPassword: false,
    });

    // A temporary password (read from a 0600 file, never a flag): the current one stops at once.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-ops-pw-'));
    const file = path.join(dir, 'temp');
    writeFileSync(file, `${OLIVE_TEMP}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    const temp = await vigil(['users', 'reset-password', 'olive', '--temporary-password-file', file]);
    expect(temp.code).toBe(0);
    expect((await loginAs(OLIVE.username, OLIVE_NEW)).status).toBe(401);
    expect((await loginAs(OLIVE.username, OLIVE_TEMP)).status).toBe(403);
    await tap.waitFor(
      'PASSWORD_CHANGED',
      (e) => e.attributes.trigger === 'admin' && e.attributes.mustReset === true,
    );
    // Back to a known password for the next tests.
    const back = await http(gw)
      .post('/api/v1/auth/password')
      .set('X-Forwarded-For', '203.0.113.60')
      .send({ username: 'olive', currentPassword: OLIVE_TEMP, newPassword: OLIVE.password });
    expect(back.status).toBe(200);
    tokensSeen.push(back.body.access_token, back.body.refresh_token);
  });

  it("seeds 000-43, 002-31: sessions revoke ends one user's sessions; revoke-all ends everyone's but the caller's, and the other services refuse the tokens", async () => {
    const olive = await loginAs(OLIVE.username, OLIVE.password);
    const revokedFrom = Date.now();
    const r = await vigil(['--json', 'sessions', 'revoke', 'olive']);
    expect(r.code).toBe(0);
    expect(r.json<{ revoked: number }>().revoked).toBeGreaterThanOrEqual(1);
    expect(
      (await http(gw).post('/api/v1/auth/refresh').send({ refreshToken: olive.body.refresh_token })).status,
    ).toBe(401);
    const list = await vigil(['--json', 'sessions', 'list', 'olive']);
    expect(list.json<Array<{ revokedAt: string | null }>>().every((s) => s.revokedAt !== null)).toBe(true);

    // The other services refuse every token of a user issued up to the revocation's second (iat is
    // in whole seconds): olive's next session must start after it.
    const oliveId = r.json<{ user: string }>().user;
    const revokedEv = await tap.waitFor(
      'TOKEN_REVOKED',
      (e) =>
        e.subject?.userId === oliveId &&
        e.attributes.scope === 'all_sessions' &&
        Date.parse(e.occurredAt) >= revokedFrom,
    );
    const nextSecond = (Math.floor(Date.parse(revokedEv.occurredAt) / 1000) + 1) * 1000;
    await waitFor(() => Date.now() >= nextSecond, {
      timeoutMs: 2000,
      what: 'the second after the revocation',
    });
    const o2 = await loginAs(OLIVE.username, OLIVE.password);
    const p2 = await loginAs(PETER.username, PETER.password);
    // The writer accepts olive's token before (403: not an auditor, but a valid token) ...
    await waitFor(
      async () =>
        (
          await request(writer.app.getHttpServer())
            .get('/api/v1/audit/stats')
            .set('Authorization', `Bearer ${o2.body.access_token}`)
        ).status === 403,
      {
        timeoutMs: 10000,
        what: "the writer accepting olive's new token (403: a valid token, not an auditor)",
      },
    );
    const all = await vigil(['--json', 'sessions', 'revoke-all', '--reason', 'containment INC-12']);
    expect(all.code).toBe(0);
    expect(all.json()).toMatchObject({ keptCallerSession: true });
    expect(all.json<{ users: number }>().users).toBeGreaterThanOrEqual(2);
    for (const t of [o2, p2]) {
      expect(
        (await http(gw).get('/api/v1/auth/me').set('Authorization', `Bearer ${t.body.access_token}`)).status,
      ).toBe(401);
      expect(
        (await http(gw).post('/api/v1/auth/refresh').send({ refreshToken: t.body.refresh_token })).status,
      ).toBe(401);
    }
    // ... and refuses it once the revocation reaches its deny-list (TOKEN_REVOKED per user).
    await waitFor(
      async () =>
        (
          await request(writer.app.getHttpServer())
            .get('/api/v1/audit/stats')
            .set('Authorization', `Bearer ${o2.body.access_token}`)
        ).status === 401,
      { timeoutMs: 30000, what: "the writer refusing olive's revoked token" },
    );
    await tap.waitFor('TOKEN_REVOKED', (e) => e.reason === 'revoke_all' && e.subject?.userId === oliveId);
    // The admin's other sessions are named one by one, never "all sessions": the session the
    // command ran as stays good at the other services too.
    const adminId = (await vigil(['--json', 'users', 'show', ADMIN.username])).json<{ id: string }>().id;
    const adminRevocations = await waitFor(
      () => {
        const found = tap
          .of('TOKEN_REVOKED')
          .filter((e) => e.reason === 'revoke_all' && e.subject?.userId === adminId);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 20000, what: "revoke_all's TOKEN_REVOKED for the admin's other sessions" },
    );
    expect(adminRevocations.every((e) => e.attributes.scope === 'session' && e.attributes.sessionId)).toBe(
      true,
    );
    expect(gw.logs).toContainEqual(
      expect.objectContaining({
        message: 'every session revoked by an administrator',
        reason: 'containment INC-12',
      }),
    );
  });

  it('seeds 000-39, 003-25: ip block refuses the address on /api/*, list shows it, unblock lifts it', async () => {
    const ip = '198.51.100.77';
    const b = await vigil([
      '--json',
      'ip',
      'block',
      ip,
      '--ttl',
      '10m',
      '--reason',
      'stuffing from this host',
    ]);
    expect(b.code).toBe(0);
    expect(b.json()).toMatchObject({ ip, source: 'admin', note: 'stuffing from this host' });
    expect((await login(gw, PETER.username, PETER.password, ip)).status).toBe(403);
    const list = await vigil(['--json', 'ip', 'list']);
    expect(list.json<Array<{ ip: string }>>().map((x) => x.ip)).toContain(ip);
    expect((await vigil(['ip', 'list'])).stdout).toMatch(
      new RegExp(`^${ip.replace(/\./g, '\\.')} +\\d{4}-.* admin +stuffing`, 'm'),
    );
    const u = await vigil(['ip', 'unblock', ip]);
    expect(u.code).toBe(0);
    expect(u.stdout).toBe(`unblocked ${ip}`);
    const after = await login(gw, PETER.username, PETER.password, ip);
    expect(after.status).toBe(200);
    tokensSeen.push(after.body.access_token, after.body.refresh_token);
  });

  it('seed 004-34: maintenance on answers 503 with Retry-After to logins and refreshes, health stays up and says so; admins still get in; off restores', async () => {
    const s = await loginAs(PETER.username, PETER.password);
    const on = await vigil(['--json', 'maintenance', 'on', '--reason', 'database failover']);
    expect(on.code).toBe(0);
    expect(on.json()).toMatchObject({ enabled: true, reason: 'database failover', changed: true });

    const refused = await login(gw, PETER.username, PETER.password);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      type: 'https://vigil.dev/problems/maintenance',
      detail: expect.stringContaining('database failover'),
    });
    expect(
      (await http(gw).post('/api/v1/auth/refresh').send({ refreshToken: s.body.refresh_token })).status,
    ).toBe(503);
    expect(
      (
        await http(gw)
          .post('/api/v1/auth/token')
          .type('form')
          .send({ grant_type: 'refresh_token', refresh_token: s.body.refresh_token })
      ).status,
    ).toBe(503);
    // Issued tokens keep working; health is 200 and names the mode.
    expect(
      (await http(gw).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.body.access_token}`)).status,
    ).toBe(200);
    const health = await http(gw).get('/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body.checks.maintenance.detail).toMatch(/^on since .*: database failover$/);
    // The CLI logs in as the admin during maintenance, so status and off work.
    const status = await vigil(['maintenance', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^maintenance mode ON since .*: database failover/);
    const overall = await vigil(['--json', 'status']);
    expect(overall.json<{ checks: Array<{ check: string; verdict: string }> }>().checks).toContainEqual(
      expect.objectContaining({ check: 'maintenance mode', verdict: 'warn' }),
    );
    expect(overall.code).toBe(1);

    const off = await vigil(['--json', 'maintenance', 'off']);
    expect(off.code).toBe(0);
    expect(off.json()).toMatchObject({ enabled: false, changed: true });
    const back = await loginAs(PETER.username, PETER.password);
    expect(back.status).toBe(200);
    const changes = await waitFor(
      () => {
        const found = tap.of('MAINTENANCE_MODE_CHANGED');
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 30000, what: 'two MAINTENANCE_MODE_CHANGED events' },
    );
    expect(changes.map((e) => e.attributes.enabled)).toEqual([true, false]);
  });

  it('seeds 002-32, 004-15: log-level set debug makes each service log debug lines at once, no restart; the change is logged and the gateway audits it; get reads it back', async () => {
    const debugLines = (logs: Array<Record<string, unknown>>) =>
      logs.filter((l) => l.level === 'debug' && l.message === 'http request').length;
    const apps = {
      'auth-gateway': gw,
      'audit-writer': writer,
      'security-monitor': monitor,
      'retention-worker': retention,
    };
    const got = await vigil(['--json', 'log-level', 'get']);
    expect(got.code).toBe(0);
    expect(got.json<Array<{ service: string; level: string }>>()).toEqual(
      Object.keys(apps).map((service) =>
        expect.objectContaining({ service, level: 'info', configured: 'info' }),
      ),
    );
    for (const app of Object.values(apps)) await request(app.app.getHttpServer()).get('/health/live');
    for (const app of Object.values(apps)) expect(debugLines(app.logs)).toBe(0);

    const set = await vigil(['--json', 'log-level', 'set', 'debug', '--ttl', '10m']);
    expect(set.code).toBe(0);
    const rows = set.json<Array<{ service: string; level: string; before: string; revertsAt: string }>>();
    expect(rows).toHaveLength(4);
    for (const row of rows)
      expect(row).toMatchObject({ level: 'debug', before: 'info', revertsAt: expect.any(String) });
    for (const [name, app] of Object.entries(apps)) {
      await request(app.app.getHttpServer()).get('/health/live');
      await waitFor(() => debugLines(app.logs) > 0, { timeoutMs: 5000, what: `${name} debug lines` });
      expect(app.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'log level changed',
          before: 'info',
          after: 'debug',
          ttlSeconds: 600,
        }),
      );
    }
    await tap.waitFor(
      'LOG_LEVEL_CHANGED',
      (e) => e.attributes.after === 'debug' && e.attributes.ttlSeconds === 600,
    );

    const back = await vigil(['log-level', 'set', 'info', 'gateway', 'audit', 'monitor', 'retention']);
    expect(back.code).toBe(0);
    const quiet = Object.fromEntries(Object.entries(apps).map(([n, a]) => [n, debugLines(a.logs)]));
    for (const app of Object.values(apps)) await request(app.app.getHttpServer()).get('/health/live');
    expect(Object.fromEntries(Object.entries(apps).map(([n, a]) => [n, debugLines(a.logs)]))).toEqual(quiet);
    const one = await vigil(['log-level', 'get', 'monitor']);
    expect(one.stdout).toMatch(/^security-monitor +info +info/m);
    // A service that cannot be reached is reported in its row, and the exit code says so.
    const partial = await vigil(['--json', 'log-level', 'get'], { VIGIL_RETENTION_URL: deadUrl });
    expect(partial.code).toBe(3);
    expect(partial.json<Array<{ service: string; error?: string }>>()).toContainEqual(
      expect.objectContaining({ service: 'retention-worker', error: expect.stringContaining('unreachable') }),
    );
  });

  it('seeds 000-42, 000-54: keys list shows the signing key and its age; rotate pre-publishes a new kid in the JWKS; --retire-previous signs with a new one at once and withdraws the old ones', async () => {
    const jwks = async () =>
      ((await http(gw).get('/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((k) => k.kid);
    const kidOf = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).kid as string;
    const listed = await vigil(['--json', 'keys', 'list', '--max-age-days', '90']);
    expect(listed.code).toBe(0);
    const before = listed.json<{
      signingKid: string;
      keys: Array<{ kid: string; state: string; ageDays: number }>;
    }>();
    expect(before.keys.find((k) => k.kid === before.signingKid)).toMatchObject({
      state: 'signing',
      ageDays: 0,
    });
    expect(JSON.stringify(before)).not.toMatch(/PRIVATE|"d":/);

    const oldToken = (await loginAs(PETER.username, PETER.password)).body.access_token;
    const r = await vigil(['--json', 'keys', 'rotate', '--reason', 'quarterly rotation']);
    expect(r.code).toBe(0);
    const rotated = r.json<{
      rotatedTo: string;
      previousKid: string;
      keys: Array<{ kid: string; state: string }>;
    }>();
    expect(rotated.previousKid).toBe(before.signingKid);
    expect(rotated.keys.find((k) => k.kid === rotated.rotatedTo)?.state).toBe('pending');
    // Published before it signs: verifiers learn it first, nobody is refused.
    expect(await jwks()).toEqual(expect.arrayContaining([rotated.rotatedTo, before.signingKid]));
    expect(kidOf((await loginAs(PETER.username, PETER.password)).body.access_token)).toBe(before.signingKid);
    await tap.waitFor(
      'SIGNING_KEY_ROTATED',
      (e) => e.attributes.kid === rotated.rotatedTo && e.attributes.reason === 'quarterly rotation',
    );

    const retired = await vigil(['--json', 'keys', 'rotate', '--reason', 'key exposed', '--retire-previous']);
    expect(retired.code).toBe(0);
    const third = retired.json<{ rotatedTo: string }>().rotatedTo;
    expect(await jwks()).toEqual([third]);
    const fresh = (await loginAs(PETER.username, PETER.password)).body.access_token;
    expect(kidOf(fresh)).toBe(third);
    expect((await http(gw).get('/api/v1/auth/me').set('Authorization', `Bearer ${oldToken}`)).status).toBe(
      401,
    );
    expect((await vigil(['keys', 'list'])).stdout).toMatch(new RegExp(`^${third} +EdDSA +signing +0 `, 'm'));
    await tap.waitFor(
      'SIGNING_KEY_ROTATED',
      (e) => e.attributes.kid === third && e.attributes.previousRetired,
    );
    // The other services learn the new key when their refresh cooldown allows (30 s at most).
    await waitFor(
      async () =>
        (
          await request(writer.app.getHttpServer())
            .get('/api/v1/audit/stats')
            .set('Authorization', `Bearer ${fresh}`)
        ).status === 403,
      {
        timeoutMs: 45000,
        what: 'the writer verifying a token signed with the new key (peter: 403, not 401)',
      },
    );
  }, 90000);

  it('no password or token in anything the CLI printed or the services logged', () => {
    const printed = outputs.join('\n');
    const logged = [gw, writer, monitor, retention].flatMap((a) => a.rawLogs).join('\n');
    for (const secret of [...SECRETS, ...tokensSeen]) {
      expect(printed.includes(secret)).toBe(false);
      expect(logged.includes(secret)).toBe(false);
    }
    expect(printed).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/); // no JWT at all
    expect(printed).not.toMatch(/vrt_[A-Za-z0-9_-]{20,}/); // no refresh token
    expect(tokensSeen.length).toBeGreaterThan(10);
  });
});
