// Issue 14 item 8 (seed 004-42, 004-43): a token the gateway stops honouring — its session revoked
// or logged out, its user deactivated or demoted — is refused by the audit query API and the
// monitor's admin API within a second (their deny-lists read the gateway's auth events), while a
// token of another live session keeps working. Real gateway, writer and monitor in one process.
import request from 'supertest';
import { http } from '../auth-gateway/support/http';
import { startApp } from '../support/apps';
import { startStack, type Stack } from '../e2e/support/stack';

const BUDGET_MS = 1000;

describe('revocation reaches the audit API and the monitor within a second (issue 14 item 8, seed 004-42, 004-43)', () => {
  let s: Stack;
  const measured: Record<string, { writer: number; monitor: number }> = {};
  /** Tokens refused / still good after the scenarios, for the restart check. */
  const dead: string[] = [];
  const live: string[] = [];

  beforeAll(async () => {
    s = await startStack('revoc');
  });
  afterAll(async () => {
    console.log(`revocation latency (ms, gateway 2xx -> first 401): ${JSON.stringify(measured)}`);
    await s?.close();
  });

  const audit = (token: string) =>
    request(s.writer.app.getHttpServer()).get('/api/v1/audit/health').set('Authorization', `Bearer ${token}`);
  const rules = (token: string) =>
    request(s.monitor.app.getHttpServer())
      .get('/api/v1/monitor/rules')
      .set('Authorization', `Bearer ${token}`);

  /** ms from `since` until `probe` first answers 401 (polled back to back); fails past 5 s. */
  async function until401(probe: () => request.Test, since: number): Promise<number> {
    for (;;) {
      const res = await probe();
      if (res.status === 401) return Date.now() - since;
      if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
      if (Date.now() - since > 5000) throw new Error('still accepted 5 s after the gateway answered');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async function expectRefusedWithinBudget(
    what: string,
    token: string,
    act: () => Promise<request.Response>,
  ): Promise<void> {
    expect((await audit(token)).status).toBe(200);
    expect((await rules(token)).status).toBe(200);
    const res = await act();
    expect(res.status).toBeLessThan(300);
    const t0 = Date.now();
    const [writer, monitor] = await Promise.all([
      until401(() => audit(token), t0),
      until401(() => rules(token), t0),
    ]);
    measured[what] = { writer, monitor };
    dead.push(token);
    expect(writer).toBeLessThanOrEqual(BUDGET_MS);
    expect(monitor).toBeLessThanOrEqual(BUDGET_MS);
    const refused = await audit(token);
    expect(refused.body).toMatchObject({ status: 401, type: 'https://vigil.dev/problems/invalid-token' });
  }

  it('revoke at the gateway: that session is refused; another session of the same user keeps working', async () => {
    const u = await s.user('rv.revoke', ['admin']);
    const [a, b] = [await u.session(), await u.session()];
    await expectRefusedWithinBudget('revoke', a.access, () =>
      http(s.gw).post('/api/v1/auth/revoke').set('Authorization', `Bearer ${a.access}`).send({}),
    );
    expect((await audit(b.access)).status).toBe(200);
    expect((await rules(b.access)).status).toBe(200);
    live.push(b.access);
  });

  it('logout: the session is refused; another session keeps working', async () => {
    const u = await s.user('rv.logout', ['admin']);
    const [a, b] = [await u.session(), await u.session()];
    await expectRefusedWithinBudget('logout', a.access, () =>
      http(s.gw).post('/api/v1/auth/logout').set('Authorization', `Bearer ${a.access}`).send({}),
    );
    expect((await audit(b.access)).status).toBe(200);
  });

  it("deactivating a user refuses all of the user's tokens; another user's keep working", async () => {
    const u = await s.user('rv.deact', ['admin']);
    const other = await (await s.user('rv.bystander', ['admin'])).session();
    const a = await u.session();
    await expectRefusedWithinBudget('deactivate', a.access, () =>
      http(s.gw)
        .post(`/api/v1/admin/users/${u.id}/deactivate`)
        .set('Authorization', `Bearer ${s.admin}`)
        .send({}),
    );
    expect((await audit(other.access)).status).toBe(200);
    expect((await rules(other.access)).status).toBe(200);
  });

  it('demoting admin → viewer refuses the admin token (401); the refreshed viewer token gets 403 (seed 004-43)', async () => {
    const u = await s.user('rv.demote', ['admin']);
    const a = await u.session();
    await expectRefusedWithinBudget('demote', a.access, () =>
      http(s.gw)
        .put(`/api/v1/admin/users/${u.id}/roles`)
        .set('Authorization', `Bearer ${s.admin}`)
        .send({ roles: ['viewer'] }),
    );
    const refreshed = await http(s.gw)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: a.refresh })
      .expect(200);
    const viewer = refreshed.body.access_token as string;
    expect((await audit(viewer)).status).toBe(403);
    expect((await rules(viewer)).status).toBe(403);
  });

  it('a restarted writer instance rebuilds the list from the topic: every revocation above still holds', async () => {
    expect(dead).toHaveLength(4);
    const again = await startApp('audit-writer', {
      ...s.writerEnv,
      KAFKA_GROUP_ID: `${s.writerEnv.KAFKA_GROUP_ID}-2`,
    });
    try {
      const http2 = () => request(again.app.getHttpServer());
      for (const token of dead)
        expect(
          (await http2().get('/api/v1/audit/health').set('Authorization', `Bearer ${token}`)).status,
        ).toBe(401);
      for (const token of live)
        expect(
          (await http2().get('/api/v1/audit/health').set('Authorization', `Bearer ${token}`)).status,
        ).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('/health reports the deny-list: caught up and live on the auth topic', async () => {
    const health = await request(s.writer.app.getHttpServer()).get('/health').expect(200);
    expect(health.body.checks.revocation).toMatchObject({
      ok: true,
      detail: expect.stringContaining('live on'),
    });
    const monitorHealth = await request(s.monitor.app.getHttpServer()).get('/health').expect(200);
    expect(monitorHealth.body.checks.revocation.ok).toBe(true);
  });
});
