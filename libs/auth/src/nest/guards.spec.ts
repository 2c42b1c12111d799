import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import winston from 'winston';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { ProblemFilter } from '@vigil/runtime';
import type { VerifiedToken } from '../verified-token';
import type { AuthEventsSink, RevocationCheck } from './auth-events-sink';
import { AuthModule } from './auth.module';
import { Authenticated, Principal, Roles } from './decorators';

const ISS = 'https://auth.vigil.test';
const AUD = 'vigil';
const events: Array<{ kind: string; [k: string]: unknown }> = [];
const revokedSessions = new Set<string>();

class RecordingSink implements AuthEventsSink {
  tokenRejected(e: Parameters<AuthEventsSink['tokenRejected']>[0]) {
    events.push({
      kind: 'rejected',
      failure: e.failure,
      kid: e.kid,
      subject: e.subject,
      route: e.request.route,
      method: e.request.method,
    });
  }
  accessDenied(e: Parameters<AuthEventsSink['accessDenied']>[0]) {
    events.push({
      kind: 'denied',
      sub: e.principal.sub,
      requiredRoles: e.requiredRoles,
      route: e.request.route,
    });
  }
}

class SessionCheck implements RevocationCheck {
  async isRevoked(t: VerifiedToken) {
    return t.sid !== undefined && revokedSessions.has(t.sid);
  }
}

@Controller('things')
class ThingsController {
  @Get('mine')
  @Authenticated()
  mine(@Principal() who: VerifiedToken) {
    return { sub: who.sub, roles: who.roles };
  }

  @Get(':id/audit')
  @Roles('auditor', 'admin')
  audit(@Principal() who: VerifiedToken) {
    return { ok: true, sub: who.sub };
  }
}

describe('JwtAuthGuard and RolesGuard', () => {
  let app: INestApplication;
  let key: { privateKey: KeyLike; jwk: JWK };

  const token = (roles: string[], opts: { sid?: string; exp?: number } = {}) =>
    new SignJWT({ roles, sid: opts.sid ?? 's-1' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })
      .setSubject('u-7')
      .setJti('j-1')
      .setIssuedAt()
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime(opts.exp ?? '5m')
      .sign(key.privateKey);

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    key = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' } };
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthModule.forRoot({
          verifier: { jwks: { keys: [key.jwk] }, issuer: ISS, audience: AUD },
          eventsSink: RecordingSink,
          revocationCheck: SessionCheck,
        }),
      ],
      controllers: [ThingsController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ProblemFilter(winston.createLogger({ silent: true })));
    await app.init();
  });
  afterAll(() => app.close());
  beforeEach(() => (events.length = 0));

  const get = (path: string, auth?: string) => {
    const r = request(app.getHttpServer()).get(path);
    return auth ? r.set('Authorization', auth) : r;
  };

  it('answers 401 with WWW-Authenticate and a problem body when the token is missing, and reports nothing', async () => {
    const res = await get('/things/mine');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="vigil"');
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 401,
      title: 'Unauthorized',
      type: 'https://vigil.dev/problems/unauthorized',
    });
    expect((await get('/things/mine', 'Basic dXNlcjpwYXNz')).headers['www-authenticate']).toContain(
      'invalid_request',
    );
    expect(events).toEqual([]);
  });

  it('answers 401 invalid_token for a bad token and reports the failure with the route template', async () => {
    const res = await get('/things/42/audit', 'Bearer not.a.jwt');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="vigil", error="invalid_token"');
    expect(res.body.type).toBe('https://vigil.dev/problems/invalid-token');
    expect(events).toEqual([
      {
        kind: 'rejected',
        failure: 'malformed',
        kid: undefined,
        subject: undefined,
        route: '/things/:id/audit',
        method: 'GET',
      },
    ]);
  });

  it('tells an expired token apart so clients know to refresh', async () => {
    const res = await get(
      '/things/mine',
      `Bearer ${await token(['user'], { exp: Math.floor(Date.now() / 1000) - 120 })}`,
    );
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('the access token has expired');
    expect(events[0]).toMatchObject({ failure: 'expired', kid: 'k1', subject: 'u-7' });
  });

  it('exposes the principal to the handler', async () => {
    const res = await get('/things/mine', `Bearer ${await token(['viewer'])}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'u-7', roles: ['viewer'] });
  });

  it('answers 403 without the role and reports ACCESS_DENIED material; 200 with it', async () => {
    const denied = await get('/things/1/audit', `Bearer ${await token(['user', 'viewer'])}`);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(events).toEqual([
      { kind: 'denied', sub: 'u-7', requiredRoles: ['auditor', 'admin'], route: '/things/:id/audit' },
    ]);
    expect((await get('/things/1/audit', `Bearer ${await token(['auditor'])}`)).status).toBe(200);
  });

  it('refuses a token whose session was revoked', async () => {
    revokedSessions.add('s-dead');
    const res = await get('/things/mine', `Bearer ${await token(['admin'], { sid: 's-dead' })}`);
    expect(res.status).toBe(401);
    expect(events[0]).toMatchObject({ failure: 'revoked', subject: 'u-7' });
  });
});
