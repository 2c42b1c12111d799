import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HealthRegistry, healthAliasController } from './health';

/** Stands for a route a service already has at `<prefix>/health` (the writer's admin-only view). */
@Controller('api/v1/audit')
class ExistingHealthController {
  @Get('health')
  own(): { own: boolean } {
    return { own: true };
  }
}

describe('healthAliasController: a service’s health under its API prefix', () => {
  let app: INestApplication;
  let registry: HealthRegistry;
  let ready = true;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [
        healthAliasController('/api/v1/monitor/'),
        // Registered first: were it to claim /api/v1/audit/health, it would answer there.
        healthAliasController('api/v1/audit', { bare: false }),
        ExistingHealthController,
      ],
      providers: [HealthRegistry],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    registry = app.get(HealthRegistry);
    registry.register('db', () => ({ ok: ready, detail: ready ? undefined : 'down' }));
  });
  afterAll(() => app.close());

  it('answers <prefix>/health and /health/ready with the readiness report, 503 when a check fails', async () => {
    ready = true;
    for (const path of ['/api/v1/monitor/health', '/api/v1/monitor/health/ready']) {
      const r = await request(app.getHttpServer()).get(path).expect(200);
      expect(r.body).toMatchObject({
        status: 'ok',
        ready: true,
        live: true,
        failing: [],
        checks: { db: { ok: true } },
      });
    }
    ready = false;
    const down = await request(app.getHttpServer()).get('/api/v1/monitor/health').expect(503);
    expect(down.body).toMatchObject({ status: 'degraded', ready: false, failing: ['db'] });
    // Liveness does not depend on the checks.
    await request(app.getHttpServer())
      .get('/api/v1/monitor/health/live')
      .expect(200, { status: 'ok', live: true });
  });

  it('with bare: false leaves <prefix>/health to the service’s own route, and adds /ready and /live', async () => {
    ready = true;
    await request(app.getHttpServer()).get('/api/v1/audit/health').expect(200, { own: true });
    await request(app.getHttpServer()).get('/api/v1/audit/health/ready').expect(200);
    await request(app.getHttpServer())
      .get('/api/v1/audit/health/live')
      .expect(200, { status: 'ok', live: true });
  });

  it('refuses a prefix that is not a path', () => {
    expect(() => healthAliasController('api v1')).toThrow(/not a path/);
    expect(() => healthAliasController('/')).toThrow(/not a path/);
  });
});
