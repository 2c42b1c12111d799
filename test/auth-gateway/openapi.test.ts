// Issue 20 item 5, for the auth-gateway: its OpenAPI document (/api/docs-json) held to the standard
// of test/operations/openapi.test.ts, checked against the running gateway: every route Express
// serves is documented (and nothing else), the document is valid OpenAPI 3, every example validates
// against its schema (objects closed), every operation documents its success and error answers with
// examples, the roles documented are the roles enforced, the OAuth endpoints document RFC 6749 §5.2
// error bodies (not problem+json) and Basic client authentication, and real answers validate
// against the documented response schemas.
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIV3 } from 'openapi-types';
import { REQUIRED_ROLES_EXTENSION } from '@vigil/runtime';
import { loadRouteTable, matchRoute } from '../../deploy/local/edge';
import {
  checkExamples,
  dereferenced,
  documentedRoutes,
  operations,
  registeredRoutes,
  responseSchema,
  schemaErrors,
  validateOpenApi,
  type OpenApiDoc,
} from '../operations/support/openapi-checks';
import { startGateway, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http as httpOf, login } from './support/http';
import { testClients, type TestClients } from './support/oauth';

const DOCS = '/api/docs';

/** The OAuth endpoints: RFC 6749 §5.2 error bodies, Basic client authentication. */
const OAUTH = ['/api/v1/auth/token', '/api/v1/auth/revoke', '/api/v1/auth/introspect'];
/** Where a bearer token is the only way in, whatever its roles. */
const BEARER_ONLY = ['POST /api/v1/auth/logout', 'GET /api/v1/auth/me', 'GET /api/auth/me'];
/** POSTs that take no body. */
const NO_BODY = /\/(deactivate|reactivate|unlock)$/;

const MUST_DOCUMENT = [
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/token',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/revoke',
  'POST /api/v1/auth/introspect',
  'POST /api/v1/auth/password',
  'POST /api/v1/auth/logout',
  'GET /api/v1/auth/me',
  'GET /api/auth/me',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
  'GET /api/v1/admin/users',
  'POST /api/v1/admin/users',
  'GET /api/v1/admin/ip-blocks',
  'GET /api/v1/admin/keys',
  'GET /api/v1/admin/maintenance',
  'GET /api/v1/admin/log-level',
  'POST /api/v1/admin/sessions/revoke-all',
  'GET /api/v1/health',
  'GET /api/v1/health/live',
  'GET /health',
  'GET /metrics',
];

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

type Method = 'get' | 'post' | 'put' | 'delete';
interface Probe {
  method: Method;
  path: string;
  /** The documented path template, when `path` fills one in or has a query. */
  template?: string;
  /** A bearer token, or a Basic header (`Basic ...`). */
  auth?: () => string | undefined;
  /** A JSON body, or a form (`form`). */
  body?: () => object;
  form?: () => Record<string, string>;
  status: number;
  /** What the answer says, beyond its schema. */
  expect?: (body: Record<string, unknown>) => void;
  /** Keeps something of the answer for later probes. */
  keep?: (body: Record<string, unknown>) => void;
}

describe('OpenAPI document of the auth-gateway', () => {
  let g: Gateway;
  let clients: TestClients;
  let raw: OpenApiDoc;
  let doc: OpenApiDoc;
  let admin: string;
  let viewer: string;
  const http = () => httpOf(g);
  const state: Record<string, string> = {};

  beforeAll(async () => {
    clients = await testClients();
    g = await startGateway({ env: clients.env, logLevel: 'warn' });
    await waitReady(g);
    const res = await http().get(`${DOCS}-json`);
    expect(res.status).toBe(200);
    raw = res.body;
    doc = await dereferenced(raw);
    admin = await adminToken(g);
    await createUser(g, admin, {
      username: 'oa-viewer',
      password: 'viewer passphrase 0451',
      roles: ['viewer'],
    });
    viewer = (await login(g, 'oa-viewer', 'viewer passphrase 0451')).body.access_token;
    expect(viewer).toEqual(expect.any(String));
  }, 120_000);

  afterAll(async () => {
    await g?.close();
  });

  it('serves the UI and the JSON document at /api/docs, which the one base URL routes to the gateway', async () => {
    const ui = await http().get(DOCS);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
    expect(raw.info.title).toBe('Vigil auth-gateway');
    const table = loadRouteTable();
    for (const p of [DOCS, `${DOCS}-json`, `${DOCS}/swagger-ui-init.js`])
      expect({ path: p, service: matchRoute(table.routes, p)?.service }).toEqual({
        path: p,
        service: 'auth-gateway',
      });
  });

  it('is valid OpenAPI 3', async () => {
    expect(raw.openapi).toMatch(/^3\./);
    await expect(validateOpenApi(raw)).resolves.toBeUndefined();
  });

  it('documents every route the running gateway serves, and no other', () => {
    const served = registeredRoutes(g.app as NestExpressApplication).filter((r) => {
      const path = r.split(' ')[1];
      // The docs themselves, and the CORS middleware (mounted on `<prefix>/*path` for every method).
      return !path.startsWith(DOCS) && !path.endsWith('/*path');
    });
    expect(served).toEqual(expect.arrayContaining(MUST_DOCUMENT));
    expect(documentedRoutes(raw)).toEqual(served);
  });

  it('documents each operation fully: summary, answers with examples, error bodies, security and roles', () => {
    const gaps: string[] = [];
    for (const { method, path, op } of operations(doc)) {
      const at = `${method.toUpperCase()} ${path}`;
      const oauth = OAUTH.includes(path);
      if (!op.summary) gaps.push(`${at}: no summary`);
      if (!op.tags?.length) gaps.push(`${at}: no tag`);
      const answers = Object.entries(op.responses ?? {}) as Array<[string, OpenAPIV3.ResponseObject]>;
      if (!answers.some(([status]) => /^2/.test(status))) gaps.push(`${at}: no success answer`);
      // Liveness and metrics answer while the process serves HTTP at all: no error of their own.
      if (!answers.some(([status]) => /^[45]/.test(status)) && !/\/live$|^\/metrics$/.test(path))
        gaps.push(`${at}: no error answer`);
      for (const [status, r] of answers) {
        const content = Object.entries(r.content ?? {});
        if (!content.length && status !== '204') gaps.push(`${at} ${status}: no body documented`);
        for (const [type, m] of content) {
          if (!m.schema) gaps.push(`${at} ${status} ${type}: no schema`);
          if (m.example === undefined && !m.examples) gaps.push(`${at} ${status} ${type}: no example`);
        }
        if (!/^[45]/.test(status) || (path.includes('/health') && status === '503')) continue;
        const oauthBody = r.content?.['application/json']?.schema as OpenAPIV3.SchemaObject | undefined;
        const isOAuthError = Boolean(oauthBody?.properties?.error && oauthBody.properties.error_description);
        if (!oauth && !r.content?.['application/problem+json'])
          gaps.push(`${at} ${status}: not problem+json`);
        if (oauth && !isOAuthError) gaps.push(`${at} ${status}: not an RFC 6749 §5.2 error body`);
        // Only the bearer form of the revocation endpoint answers problem+json (401 without a token).
        if (
          oauth &&
          r.content?.['application/problem+json'] &&
          !(path.endsWith('/revoke') && status === '401')
        )
          gaps.push(`${at} ${status}: problem+json on an OAuth endpoint`);
      }
      const roles = (op as Record<string, unknown>)[REQUIRED_ROLES_EXTENSION] as string[] | undefined;
      const schemes = (op.security ?? []).flatMap((req) => Object.keys(req));
      const bearer = schemes.includes('bearer');
      const bearerOnly = BEARER_ONLY.includes(at);
      if (Boolean(roles?.length) !== (bearer && !bearerOnly && !oauth))
        gaps.push(`${at}: bearer auth and ${REQUIRED_ROLES_EXTENSION} disagree`);
      if (bearerOnly && !(bearer && op.security?.length === 1)) gaps.push(`${at}: bearer token not required`);
      if (bearer && !op.responses?.['401']) gaps.push(`${at}: no 401 documented`);
      if (roles?.length && !op.responses?.['403']) gaps.push(`${at}: no 403 documented`);
      if (schemes.includes('basic') !== oauth) gaps.push(`${at}: Basic client authentication only on OAuth`);
      if (oauth && !op.responses?.['401']) gaps.push(`${at}: no 401 invalid_client documented`);
      if (
        ['post', 'put'].includes(method) &&
        path.includes('/api/v1/') &&
        !op.requestBody &&
        !NO_BODY.test(path)
      )
        gaps.push(`${at}: no request body documented`);
    }
    expect(gaps).toEqual([]);
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components?.securitySchemes?.basic).toMatchObject({ type: 'http', scheme: 'basic' });
    // The token endpoint: Basic, or none (a public client names itself; no client: the implicit one).
    expect(doc.paths['/api/v1/auth/token']?.post?.security).toEqual([{ basic: [] }, {}]);
    expect(doc.paths['/api/v1/auth/revoke']?.post?.security).toEqual([{ bearer: [] }, { basic: [] }, {}]);
    expect(doc.paths['/api/v1/auth/introspect']?.post?.security).toEqual([{ basic: [] }]);
  });

  it('every example, request and response, validates against its schema ($refs resolved)', () => {
    const checks = checkExamples(doc);
    expect(checks.filter((c) => c.errors.length)).toEqual([]);
    const bodies = operations(doc).flatMap(({ op }) =>
      Object.values(op.responses ?? {}).flatMap((r) =>
        Object.keys((r as { content?: object }).content ?? {}),
      ),
    );
    expect(checks.length).toBeGreaterThanOrEqual(bodies.length);
  });

  it('the roles documented are the roles enforced: no token is 401, a token without them is 403 (as documented)', async () => {
    const checked: string[] = [];
    for (const { method, path, op } of operations(doc)) {
      const at = `${method.toUpperCase()} ${path}`;
      const roles = (op as Record<string, unknown>)[REQUIRED_ROLES_EXTENSION] as string[] | undefined;
      const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
        const p = (op.parameters ?? []).find((x) => 'name' in x && x.name === name) as { example?: string };
        return encodeURIComponent(p?.example ?? 'x');
      });
      const call = () => http()[method as Method](url);
      if (OAUTH.includes(path)) {
        // A wrong client secret by Basic header: 401 invalid_client in §5.2's shape, with its challenge.
        const res = await call()
          .type('form')
          .set('Authorization', basic(clients.backend.id, 'not-the-secret'))
          .send({ token: 'x', username: 'x', password: 'x', grant_type: 'password' });
        expect({ at, status: res.status, error: res.body.error }).toEqual({
          at,
          status: 401,
          error: 'invalid_client',
        });
        expect(res.headers['www-authenticate']).toMatch(/^Basic /);
        expect(
          schemaErrors(responseSchema(doc, method, path, 401, res.headers['content-type']), res.body),
        ).toEqual([]);
        checked.push(at);
        continue;
      }
      if (!roles && !BEARER_ONLY.includes(at)) {
        if (method !== 'get') continue;
        const open = await call();
        expect({ at, status: open.status }).not.toEqual({ at, status: 401 });
        continue;
      }
      const none = await call().send({});
      expect({ at, status: none.status }).toEqual({ at, status: 401 });
      expect(
        schemaErrors(responseSchema(doc, method, path, 401, none.headers['content-type']), none.body),
      ).toEqual([]);
      checked.push(at);
      if (!roles) continue;
      expect(roles).not.toContain('viewer');
      const denied = await call().set('Authorization', `Bearer ${viewer}`).send({});
      expect({ at, status: denied.status }).toEqual({ at, status: 403 });
      expect(denied.body.detail).toBe(`requires one of the roles: ${roles.join(', ')}`);
      expect(
        schemaErrors(responseSchema(doc, method, path, 403, denied.headers['content-type']), denied.body),
      ).toEqual([]);
    }
    // The bearer form of the revocation endpoint: no token, no body is 401 problem+json.
    const bare = await http().post('/api/v1/auth/revoke');
    expect(bare.status).toBe(401);
    expect(bare.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(
      schemaErrors(
        responseSchema(doc, 'post', '/api/v1/auth/revoke', 401, bare.headers['content-type']),
        bare.body,
      ),
    ).toEqual([]);
    expect(checked.length).toBeGreaterThanOrEqual(29);
  });

  it('real answers validate against the documented response schemas', async () => {
    const password = 'target passphrase 0452';
    const adminAuth = () => admin;
    const probes: Probe[] = [
      { method: 'get', path: '/.well-known/jwks.json', status: 200 },
      { method: 'get', path: '/.well-known/oauth-authorization-server', status: 200 },
      { method: 'get', path: '/.well-known/openid-configuration', status: 200 },
      { method: 'get', path: '/health', status: 200 },
      { method: 'get', path: '/health/ready', status: 200 },
      { method: 'get', path: '/health/live', status: 200 },
      { method: 'get', path: '/api/v1/health', status: 200 },
      { method: 'get', path: '/api/v1/health/live', status: 200 },
      // Users, by an admin.
      {
        method: 'post',
        path: '/api/v1/admin/users',
        auth: adminAuth,
        body: () => ({ username: 'oa-target', email: 'oa-target@vigil.test', password, roles: ['auditor'] }),
        status: 201,
        keep: (b) => (state.user = String(b.id)),
      },
      {
        method: 'post',
        path: '/api/v1/admin/users',
        auth: adminAuth,
        body: () => ({ username: 'oa-target', email: 'oa-target@vigil.test', password }),
        status: 409,
      },
      {
        method: 'post',
        path: '/api/v1/admin/users',
        auth: adminAuth,
        body: () => ({ username: 'oa-short', email: 'oa-short@vigil.test', password: 'short' }),
        status: 400,
      },
      {
        method: 'get',
        path: '/api/v1/admin/users?admin=true',
        template: '/api/v1/admin/users',
        auth: adminAuth,
        status: 200,
      },
      {
        method: 'get',
        path: '/api/v1/admin/users?login=oa-target',
        template: '/api/v1/admin/users',
        auth: adminAuth,
        status: 200,
        expect: (b) => expect(b).toHaveLength(1),
      },
      {
        method: 'get',
        path: '/api/v1/admin/users?admin=maybe',
        template: '/api/v1/admin/users',
        auth: adminAuth,
        status: 400,
      },
      ...userProbes(),
      // The target logs in, in all the ways there are.
      {
        method: 'post',
        path: '/api/v1/auth/login',
        body: () => ({ username: 'oa-target', password }),
        status: 200,
        keep: (b) => {
          state.access = String(b.access_token);
          state.refresh = String(b.refresh_token);
        },
      },
      {
        method: 'post',
        path: '/api/v1/auth/login',
        body: () => ({ username: 'oa-target', password: 'wrong one' }),
        status: 401,
      },
      { method: 'post', path: '/api/v1/auth/login', body: () => ({ username: '' }), status: 400 },
      { method: 'get', path: '/api/v1/auth/me', auth: () => state.access, status: 200 },
      { method: 'get', path: '/api/auth/me', auth: () => state.access, status: 200 },
      {
        method: 'post',
        path: '/api/v1/auth/refresh',
        body: () => ({ refreshToken: state.refresh }),
        status: 200,
        keep: (b) => (state.refresh = String(b.refresh_token)),
      },
      {
        method: 'post',
        path: '/api/v1/auth/refresh',
        body: () => ({ refreshToken: 'vrt_nope' }),
        status: 401,
      },
      { method: 'post', path: '/api/v1/auth/refresh', body: () => ({}), status: 400 },
      {
        method: 'post',
        path: '/api/v1/auth/token',
        auth: () => basic(clients.backend.id, clients.backend.secret),
        form: () => ({ grant_type: 'password', username: 'oa-target', password }),
        status: 200,
        keep: (b) => {
          state.clientAccess = String(b.access_token);
          state.clientRefresh = String(b.refresh_token);
        },
      },
      {
        method: 'post',
        path: '/api/v1/auth/token',
        form: () => ({
          grant_type: 'password',
          username: 'oa-target',
          password: 'wrong one',
          client_id: clients.spa.id,
        }),
        status: 400,
        expect: (b) => expect(b.error).toBe('invalid_grant'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/token',
        form: () => ({ grant_type: 'client_credentials', client_id: clients.spa.id }),
        status: 400,
        expect: (b) => expect(b.error).toBe('unsupported_grant_type'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/token',
        auth: () => basic(clients.refreshOnly.id, clients.refreshOnly.secret),
        form: () => ({ grant_type: 'password', username: 'oa-target', password }),
        status: 400,
        expect: (b) => expect(b.error).toBe('unauthorized_client'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/introspect',
        auth: () => basic(clients.resourceServer.id, clients.resourceServer.secret),
        form: () => ({ token: state.clientAccess }),
        status: 200,
        expect: (b) => expect(b).toMatchObject({ active: true, client_id: clients.backend.id }),
      },
      {
        method: 'post',
        path: '/api/v1/auth/introspect',
        auth: () => basic(clients.resourceServer.id, clients.resourceServer.secret),
        form: () => ({ token: state.clientRefresh, token_type_hint: 'refresh_token' }),
        status: 200,
        expect: (b) => expect(b).toMatchObject({ active: true, token_type: 'refresh_token' }),
      },
      {
        method: 'post',
        path: '/api/v1/auth/introspect',
        auth: () => basic(clients.resourceServer.id, clients.resourceServer.secret),
        form: () => ({ token: 'not-a-token' }),
        status: 200,
        expect: (b) => expect(b).toEqual({ active: false }),
      },
      {
        method: 'post',
        path: '/api/v1/auth/introspect',
        auth: () => basic(clients.resourceServer.id, clients.resourceServer.secret),
        form: () => ({ token_type_hint: 'access_token' }),
        status: 400,
        expect: (b) => expect(b.error).toBe('invalid_request'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/introspect',
        auth: () => basic(clients.backend.id, clients.backend.secret),
        form: () => ({ token: state.clientAccess }),
        status: 403,
        expect: (b) => expect(b.error).toBe('unauthorized_client'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/revoke',
        form: () => ({ token: state.clientRefresh, client_id: clients.spa.id }),
        status: 400,
        expect: (b) => expect(b.error).toBe('unauthorized_client'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/revoke',
        auth: () => basic(clients.backend.id, clients.backend.secret),
        form: () => ({ token_type_hint: 'refresh_token' }),
        status: 400,
        expect: (b) => expect(b.error).toBe('invalid_request'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/revoke',
        auth: () => basic(clients.backend.id, clients.backend.secret),
        form: () => ({ token: state.clientRefresh, token_type_hint: 'refresh_token' }),
        status: 200,
        expect: (b) => expect(b).toEqual({}),
      },
      {
        method: 'post',
        path: '/api/v1/auth/revoke',
        auth: () => state.access,
        status: 200,
        expect: (b) => expect(b).toEqual({ revoked: 1 }),
      },
      // Self-service password change: a new login.
      {
        method: 'post',
        path: '/api/v1/auth/password',
        body: () => ({ username: 'oa-target', currentPassword: password, newPassword: 'short' }),
        status: 400,
      },
      {
        method: 'post',
        path: '/api/v1/auth/password',
        body: () => ({
          username: 'oa-target',
          currentPassword: password,
          newPassword: `${password} renewed`,
        }),
        status: 200,
        keep: (b) => (state.access = String(b.access_token)),
      },
      {
        method: 'post',
        path: '/api/v1/auth/logout',
        auth: () => state.access,
        body: () => ({ allSessions: true }),
        status: 204,
      },
      // Sessions across users, keys, the deny-list, maintenance, the log level.
      { method: 'get', path: '/api/v1/admin/keys', auth: adminAuth, status: 200 },
      {
        method: 'post',
        path: '/api/v1/admin/keys/rotate',
        auth: adminAuth,
        body: () => ({ reason: 'openapi test rotation' }),
        status: 200,
      },
      { method: 'post', path: '/api/v1/admin/keys/rotate', auth: adminAuth, body: () => ({}), status: 400 },
      {
        method: 'post',
        path: '/api/v1/admin/ip-blocks',
        auth: adminAuth,
        body: () => ({ ip: '192.0.2.200', ttlSeconds: 600, reason: 'openapi test' }),
        status: 201,
      },
      {
        method: 'post',
        path: '/api/v1/admin/ip-blocks',
        auth: adminAuth,
        body: () => ({ ip: '10.0.0.0/4', ttlSeconds: 600, reason: 'too wide' }),
        status: 400,
      },
      { method: 'get', path: '/api/v1/admin/ip-blocks', auth: adminAuth, status: 200 },
      {
        method: 'delete',
        path: '/api/v1/admin/ip-blocks/192.0.2.200',
        template: '/api/v1/admin/ip-blocks/{ip}',
        auth: adminAuth,
        status: 200,
      },
      {
        method: 'delete',
        path: '/api/v1/admin/ip-blocks/192.0.2.200',
        template: '/api/v1/admin/ip-blocks/{ip}',
        auth: adminAuth,
        status: 404,
      },
      {
        method: 'delete',
        path: '/api/v1/admin/ip-blocks/not-an-ip',
        template: '/api/v1/admin/ip-blocks/{ip}',
        auth: adminAuth,
        status: 400,
      },
      { method: 'get', path: '/api/v1/admin/maintenance', auth: adminAuth, status: 200 },
      {
        method: 'put',
        path: '/api/v1/admin/maintenance',
        auth: adminAuth,
        body: () => ({ enabled: true, reason: 'openapi test' }),
        status: 200,
      },
      {
        method: 'post',
        path: '/api/v1/auth/token',
        form: () => ({ grant_type: 'refresh_token', refresh_token: 'vrt_nope', client_id: clients.spa.id }),
        status: 503,
        expect: (b) => expect(b.error).toBe('temporarily_unavailable'),
      },
      {
        method: 'post',
        path: '/api/v1/auth/refresh',
        body: () => ({ refreshToken: 'vrt_nope' }),
        status: 503,
      },
      {
        method: 'put',
        path: '/api/v1/admin/maintenance',
        auth: adminAuth,
        body: () => ({ enabled: false }),
        status: 200,
      },
      { method: 'put', path: '/api/v1/admin/maintenance', auth: adminAuth, body: () => ({}), status: 400 },
      { method: 'get', path: '/api/v1/admin/log-level', auth: adminAuth, status: 200 },
      {
        method: 'put',
        path: '/api/v1/admin/log-level',
        auth: adminAuth,
        body: () => ({ level: 'warn' }),
        status: 200,
      },
      {
        method: 'put',
        path: '/api/v1/admin/log-level',
        auth: adminAuth,
        body: () => ({ level: 'loud' }),
        status: 400,
      },
      {
        method: 'post',
        path: '/api/v1/admin/sessions/revoke-all',
        auth: adminAuth,
        body: () => ({ reason: 'openapi test' }),
        status: 200,
        expect: (b) => expect(b.keptCallerSession).toBe(true),
      },
      {
        method: 'post',
        path: '/api/v1/admin/sessions/revoke-all',
        auth: adminAuth,
        body: () => ({}),
        status: 400,
      },
    ];

    const answered = new Set<string>();
    for (const p of probes) {
      const call = http()[p.method](p.path);
      const auth = p.auth?.();
      if (auth) call.set('Authorization', auth.startsWith('Basic ') ? auth : `Bearer ${auth}`);
      const res = p.form
        ? await call.type('form').send(p.form())
        : p.body
          ? await call.send(p.body())
          : await call;
      const at = `${p.method.toUpperCase()} ${p.path}`;
      expect({ at, status: res.status }).toEqual({ at, status: p.status });
      const template = p.template ?? p.path.replace(/\?.*$/, '');
      if (res.status !== 204) {
        const schema = responseSchema(doc, p.method, template, res.status, res.headers['content-type']);
        expect({ at, errors: schemaErrors(schema, res.body) }).toEqual({ at, errors: [] });
      } else expect(doc.paths[template]?.[p.method]?.responses?.['204']).toBeDefined();
      p.expect?.(res.body);
      p.keep?.(res.body);
      answered.add(`${p.method.toUpperCase()} ${template}`);
    }
    // Every operation but /metrics (Prometheus text) is answered for real at least once.
    const unprobed = operations(doc)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .filter((op) => !answered.has(op) && op !== 'GET /metrics');
    expect(unprobed).toEqual([]);

    function userProbes(): Probe[] {
      const user = (suffix = '') => `/api/v1/admin/users/${state.user}${suffix}`;
      const t = (suffix = '') => `/api/v1/admin/users/{id}${suffix}`;
      const probe = (method: Method, suffix: string, status: number, body?: () => object): Probe => ({
        method,
        get path() {
          return user(suffix);
        },
        template: t(suffix),
        auth: adminAuth,
        body,
        status,
      });
      return [
        probe('get', '', 200),
        {
          method: 'get',
          path: `/api/v1/admin/users/${randomUUID()}`,
          template: t(),
          auth: adminAuth,
          status: 404,
        },
        {
          method: 'get',
          path: '/api/v1/admin/users/not-a-uuid',
          template: t(),
          auth: adminAuth,
          status: 400,
        },
        probe('put', '/roles', 200, () => ({ roles: ['auditor', 'user'] })),
        probe('put', '/roles', 400, () => ({ roles: ['root'] })),
        probe('post', '/lock', 200, () => ({ ttlSeconds: 600, reason: 'openapi test' })),
        probe('post', '/unlock', 200),
        probe('post', '/deactivate', 200),
        probe('post', '/reactivate', 200),
        probe('post', '/require-password-reset', 200, () => ({ reason: 'openapi test' })),
        probe('post', '/password', 200, () => ({ password, requireChange: false })),
        probe('get', '/sessions', 200),
        {
          method: 'delete',
          get path() {
            return user(`/sessions/${randomUUID()}`);
          },
          template: t('/sessions/{sessionId}'),
          auth: adminAuth,
          status: 404,
        },
        probe('delete', '/sessions', 200),
      ];
    }
  });
});
