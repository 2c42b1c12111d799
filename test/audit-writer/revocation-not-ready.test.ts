// Issue 14 item 8: a service whose revocation deny-list has not caught up with the auth events
// cannot judge a token, so it fails closed: /health is not ready (check `revocation`), the audit API
// answers 503 with a problem body and Retry-After (never 200 for a token it cannot judge), and it
// recovers by itself once the events can be read.
import request from 'supertest';
import { dlqTopic } from '@vigil/contracts';
import { createTopics, deleteTopics, uniqueTopic, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { writerFixture } from './support';
import { tokenIssuer } from './tokens';

describe('revocation deny-list not caught up: fail closed (issue 14 item 8)', () => {
  let t: TestApp;
  let issuer: Awaited<ReturnType<typeof tokenIssuer>>;
  const authTopic = uniqueTopic('revoc-late.auth'); // not created yet: the list cannot catch up

  beforeAll(async () => {
    const fx = await writerFixture('revoc-late');
    issuer = await tokenIssuer();
    t = await startApp('audit-writer', {
      ...fx.env,
      AUTH_EVENTS_TOPIC: authTopic,
      AUTH_JWKS_URL: issuer.jwksUrl,
    });
  });
  afterAll(async () => {
    await t?.close();
    await issuer?.close();
    await deleteTopics([authTopic, dlqTopic(authTopic)]).catch(() => undefined);
  });

  it('is not ready and answers 503 (Retry-After) until the auth events can be read; then serves', async () => {
    const health = await request(t.app.getHttpServer()).get('/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.revocation).toMatchObject({
      ok: false,
      detail: expect.stringContaining('catching up'),
    });

    const auditor = `Bearer ${await issuer.sign({ sub: 'u-auditor-late', roles: ['auditor'] })}`;
    const refused = await request(t.app.getHttpServer())
      .get('/api/v1/audit/logs?limit=1')
      .set('Authorization', auditor);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      status: 503,
      type: 'https://vigil.dev/problems/revocation-list-unavailable',
    });

    await createTopics([authTopic, dlqTopic(authTopic)], 3);
    await waitFor(async () => (await request(t.app.getHttpServer()).get('/health')).status === 200, {
      timeoutMs: 30000,
      what: 'ready once the topic exists',
    });
    await request(t.app.getHttpServer())
      .get('/api/v1/audit/logs?limit=1')
      .set('Authorization', auditor)
      .expect(200);
  });
});
