// Seeds 000-39 ("block abuse source") and 003-25 ("block offending IPs"): an admin blocks and
// unblocks an address or network by hand, through the API and `npm run ip`, against a running
// gateway on the real PostgreSQL and Kafka. Admin only, validated, audited (IP_BLOCKED /
// IP_UNBLOCKED with the admin as actor), enforced by the same guard as the monitor's BLOCK_IP.
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ADMIN, startGateway, TopicTap, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, login } from './support/http';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const RITA = { username: 'rita', password: 'Harbor-Quill-Meteor-25' };

describe('auth-gateway: manual IP blocks, API and CLI (seeds 000-39, 003-25)', () => {
  let g: Gateway;
  let tap: TopicTap;
  let admin: string;
  let adminId: string;
  let url: string;

  beforeAll(async () => {
    g = await startGateway();
    await waitReady(g);
    await g.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(g.app.getHttpServer().address() as AddressInfo).port}`;
    tap = await new TopicTap(g.topics.auth).start();
    admin = await adminToken(g);
    adminId = (await g.sql<{ id: string }>(`SELECT id FROM users WHERE username = $1`, [ADMIN.username]))[0]
      .id;
    await createUser(g, admin, RITA);
  });
  afterAll(async () => {
    await tap?.stop();
    await g?.close();
  });

  const blocks = () => http(g).post('/api/v1/admin/ip-blocks').set('Authorization', `Bearer ${admin}`);

  it('only an admin may block: 401 without a token, 403 (ACCESS_DENIED) for a user', async () => {
    expect(
      (
        await http(g)
          .post('/api/v1/admin/ip-blocks')
          .send({ ip: '203.0.113.50', ttlSeconds: 60, reason: 'x' })
      ).status,
    ).toBe(401);
    const user = (await login(g, RITA.username, RITA.password)).body.access_token;
    for (const req of [
      http(g).post('/api/v1/admin/ip-blocks').send({ ip: '203.0.113.50', ttlSeconds: 60, reason: 'x' }),
      http(g).get('/api/v1/admin/ip-blocks'),
      http(g).delete('/api/v1/admin/ip-blocks/203.0.113.50'),
    ]) {
      const res = await req.set('Authorization', `Bearer ${user}`);
      expect(res.status).toBe(403);
      await tap.waitFor('ACCESS_DENIED', (e) => e.requestId === res.headers['x-request-id']);
    }
    expect(await g.sql(`SELECT 1 FROM ip_blocks`)).toEqual([]);
  });

  it.each([
    ['not an address', { ip: 'evil.example.com', ttlSeconds: 60, reason: 'x' }, 'ip'],
    ['a network wider than /8', { ip: '10.0.0.0/4', ttlSeconds: 60, reason: 'x' }, 'ip'],
    ['a bad prefix', { ip: '203.0.113.0/33', ttlSeconds: 60, reason: 'x' }, 'ip'],
    ['no TTL', { ip: '203.0.113.50', reason: 'x' }, 'ttlSeconds'],
    ['a zero TTL', { ip: '203.0.113.50', ttlSeconds: 0, reason: 'x' }, 'ttlSeconds'],
    ['a TTL over 30 days', { ip: '203.0.113.50', ttlSeconds: 31 * 86400, reason: 'x' }, 'ttlSeconds'],
    ['no reason', { ip: '203.0.113.50', ttlSeconds: 60 }, 'reason'],
    [
      'a reason with control characters',
      { ip: '203.0.113.50', ttlSeconds: 60, reason: 'a\nFAKE LOG LINE' },
      'reason',
    ],
  ])('refuses %s with a 400 problem naming the field', async (_what, body, field) => {
    const res = await blocks().send(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(JSON.stringify(res.body)).toContain(field);
  });

  it('seed 003-25: a blocked address gets 403 on every API route, audited; unblocking lifts it; a network blocks its addresses only', async () => {
    const ip = '203.0.113.77';
    const res = await blocks()
      .set('X-Forwarded-For', '203.0.113.1')
      .send({ ip, ttlSeconds: 600, reason: 'credential stuffing, SEC-42' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      ip,
      source: 'admin',
      note: 'credential stuffing, SEC-42',
      blockedBy: adminId,
    });
    const ev = await tap.waitFor('IP_BLOCKED', (e) => e.attributes.ip === ip);
    expect(ev).toMatchObject({
      actor: { userId: adminId, roles: expect.arrayContaining(['admin']) },
      outcome: 'success',
      attributes: { trigger: 'admin', ttlSeconds: 600, note: 'credential stuffing, SEC-42' },
    });
    const denied = await login(g, RITA.username, RITA.password, ip);
    expect(denied.status).toBe(403);
    expect(denied.body.type).toBe('https://vigil.dev/problems/ip-blocked');
    expect((await login(g, RITA.username, RITA.password, '203.0.113.78')).status).toBe(200);
    const listed = await http(g).get('/api/v1/admin/ip-blocks').set('Authorization', `Bearer ${admin}`);
    expect(listed.body.map((b: { ip: string }) => b.ip)).toContain(ip);

    const lifted = await http(g)
      .delete(`/api/v1/admin/ip-blocks/${ip}`)
      .set('Authorization', `Bearer ${admin}`);
    expect(lifted.status).toBe(200);
    await tap.waitFor('IP_UNBLOCKED', (e) => e.attributes.ip === ip && e.actor?.userId === adminId);
    expect((await login(g, RITA.username, RITA.password, ip)).status).toBe(200);
    expect(
      (await http(g).delete(`/api/v1/admin/ip-blocks/${ip}`).set('Authorization', `Bearer ${admin}`)).status,
    ).toBe(404);
    expect(
      (await http(g).delete('/api/v1/admin/ip-blocks/not-an-ip').set('Authorization', `Bearer ${admin}`))
        .status,
    ).toBe(400);

    // A network, given with host bits: stored as the network, and containment decides.
    expect(
      (await blocks().send({ ip: '198.51.100.9/24', ttlSeconds: 600, reason: 'botnet range' })).body.ip,
    ).toBe('198.51.100.0/24');
    expect((await login(g, RITA.username, RITA.password, '198.51.100.200')).status).toBe(403);
    expect((await login(g, RITA.username, RITA.password, '198.51.101.1')).status).toBe(200);
    expect(
      (
        await http(g)
          .delete(`/api/v1/admin/ip-blocks/${encodeURIComponent('198.51.100.0/24')}`)
          .set('Authorization', `Bearer ${admin}`)
      ).status,
    ).toBe(200);
    expect((await login(g, RITA.username, RITA.password, '198.51.100.200')).status).toBe(200);
  });

  it('seed 000-39: `npm run ip -- block|list|unblock` drives the running gateway and never prints the password or token', async () => {
    const ip = '203.0.113.199';
    const cli = (args: string[], env: Record<string, string>) =>
      run(
        process.execPath,
        ['-r', './tools/ts-register.js', 'apps/auth-gateway/src/cli/ip-blocks.cli.ts', ...args],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', VIGIL_GATEWAY_URL: url, ...env },
          timeout: 60000,
        },
      );
    const byLogin = { VIGIL_ADMIN_USERNAME: ADMIN.username, VIGIL_ADMIN_PASSWORD: ADMIN.password };
    const blocked = await cli(['block', ip, '--ttl', '1h', '--reason', 'abuse source, INC-7'], byLogin);
    expect(blocked.stdout).toMatch(new RegExp(`^blocked ${ip.replace(/\./g, '\\.')} until \\d{4}-`));
    expect((await login(g, RITA.username, RITA.password, ip)).status).toBe(403);
    const [row] = await g.sql<{ secs: number; note: string }>(
      `SELECT extract(epoch FROM blocked_until - now())::int AS secs, note FROM ip_blocks WHERE ip = $1`,
      [ip],
    );
    expect(row.note).toBe('abuse source, INC-7');
    expect(row.secs).toBeGreaterThan(3590);

    const listed = await cli(['list', '--json'], { VIGIL_ADMIN_TOKEN: admin });
    expect(JSON.parse(listed.stdout).map((b: { ip: string }) => b.ip)).toContain(ip);
    const unblocked = await cli(['unblock', ip], byLogin);
    expect(unblocked.stdout.trim()).toBe(`unblocked ${ip}`);
    expect((await login(g, RITA.username, RITA.password, ip)).status).toBe(200);
    await tap.waitFor('IP_UNBLOCKED', (e) => e.attributes.ip === ip && e.actor?.userId === adminId);

    const refused = await cli(['block', ip, '--ttl', '1h', '--reason', 'x'], {
      VIGIL_ADMIN_USERNAME: RITA.username,
      VIGIL_ADMIN_PASSWORD: RITA.password,
    }).catch((e) => e);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('403');
    for (const out of [blocked, listed, unblocked, refused]) {
      for (const secret of [ADMIN.password, RITA.password, admin])
        expect(`${out.stdout}${out.stderr}`).not.toContain(secret);
    }
  }, 120000);
});
