// Issue 18 item 3: a hostile corpus against every HTTP endpoint and every consumed topic of the
// four services, running together on the real PostgreSQL and Kafka (seed 000-07: no password,
// token or secret in any log line; seed 000-27: what is stored in audit_logs is what was sent).
//
// The corpus is the Big List of Naughty Strings (npm `big-list-of-naughty-strings`, 461 strings)
// plus EXTRA (control characters, lone surrogates, NFKC expanders, overlong values). SAMPLED, to
// keep the suite inside its budget on 2 shared cores (the four services and this test share one
// Node thread): every string (481) against the most exposed fields (the login name, a new user's
// name, and the free-text envelope fields subject.username and source.userAgent); every 46th
// string of the list (it is ordered by category, so each category is hit) plus all of EXTRA (31)
// against every other field of every endpoint and topic.
//
// Asserted throughout: no 5xx and no dropped connection, a refusal is a 4xx problem+json body
// (RFC 6749 error bodies on the OAuth endpoints), /health answers 200 on every service after each
// batch, Object.prototype is untouched, a stored value is byte-exact, each bad record is in its
// topic's DLQ with a reason, and the consumers go on consuming.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  createEvent,
  decodeEvent,
  decodeGlobalPartialsRecord,
  dlqTopic,
  encodeGlobalPartialsRecord,
  normalizeUsername,
  type EventEnvelope,
} from '@vigil/contracts';
import { sampleEvent } from '@vigil/contracts/testing';
import { createKafka, requestsOf, type KafkaRecord } from '@vigil/kafka';
import {
  committedOffsets,
  kafkaBrokers,
  readMessages,
  readUntil,
  testDatabaseUrl,
  waitFor,
} from '@vigil/testing';
import { ADMIN } from '../auth-gateway/support/gateway';
import { dereferenced, type OpenApiDoc } from '../operations/support/openapi-checks';
import {
  ALL,
  EXTRA,
  INVALID_UTF8,
  nestedArray,
  nestedObject,
  pool,
  prototypeSnapshot,
  sample,
} from './support/corpus';
import { casesOf, plans, urlOf, type HostileCase, type OperationPlan } from './support/http-cases';
import { closeAgent, send, type RawResponse } from './support/raw-http';
import { startHostileSystem, type HostileSystem, type ServiceName } from './support/system';
import { judge } from './support/verdict';

const CONCURRENCY = 20;
const SAMPLE = sample(46);
/** Fields that get every string: the name an anonymous client logs in with, and a new user's name. */
const EXPOSED = new Set(['POST /api/v1/auth/login body.username', 'POST /api/v1/admin/users body.username']);
/** Names that, held constant, would trip the per-account throttles (429) before the hostile field is read. */
const ACCOUNT_FIELDS = new Set(['username', 'client_id']);
const DOCS: Record<ServiceName, string> = {
  'auth-gateway': '/api/docs-json',
  'audit-writer': '/api/v1/audit/docs-json',
  'security-monitor': '/api/v1/monitor/docs-json',
  'retention-worker': '/api/v1/retention/docs-json',
};
/** Calls that end the caller's session: each gets a session of its own. */
const SESSION_ENDING = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/auth/revoke']);
/** Revokes every session (the admin's too): run last, apart. */
const REVOKE_ALL = 'POST /api/v1/admin/sessions/revoke-all';
/**
 * In-process services have no OpenTelemetry SDK (main.ts imports @vigil/telemetry/register first),
 * so /metrics answers 503 here whatever is sent; it takes no input beyond its path.
 */
const METRICS = 'GET /metrics';
const PASSWORD = `Hostile-Corpus-${randomUUID()}`;

/** JSON with object keys sorted (jsonb keeps its own key order). */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
const show = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v);

describe('hostile corpus: every HTTP endpoint and every consumed topic of the four services (issue 18 item 3; seeds 000-07, 000-27)', () => {
  let sys: HostileSystem;
  let db: Client;
  let admin: string;
  const docs = {} as Record<ServiceName, OpenApiDoc>;
  const secrets = new Set<string>([ADMIN.password, PASSWORD]);
  const protoBefore = prototypeSnapshot();
  let ip = 0;
  const nextIp = () => `198.51.100.${(ip++ % 250) + 1}`;

  async function login(username: string, password: string): Promise<{ access: string; refresh: string }> {
    const res = await send(sys.base['auth-gateway'], {
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
    const tokens = { access: String(res.json!.access_token), refresh: String(res.json!.refresh_token) };
    secrets.add(tokens.access).add(tokens.refresh);
    return tokens;
  }

  /** /health of `only` (else all four) and Object.prototype, after a batch: the failures, or []. */
  async function afterBatch(what: string, only?: ServiceName): Promise<string[]> {
    const out: string[] = [];
    const health = only
      ? { [only]: (await send(sys.base[only], { method: 'GET', path: '/health' })).status }
      : await sys.healthy();
    for (const [svc, status] of Object.entries(health))
      if (status !== 200) out.push(`${what}: ${svc} /health answered ${status}`);
    if (prototypeSnapshot() !== protoBefore)
      out.push(`${what}: Object.prototype changed: ${prototypeSnapshot()}`);
    return out;
  }

  function headersFor(svc: ServiceName, plan: Pick<OperationPlan, 'guarded' | 'form'>, token = admin) {
    return {
      ...(plan.guarded ? { authorization: `Bearer ${token}` } : {}),
      ...(svc === 'auth-gateway' ? { 'x-forwarded-for': nextIp() } : {}),
      'content-type': plan.form ? 'application/x-www-form-urlencoded' : 'application/json',
    };
  }

  function encodeBody(c: { body?: Record<string, unknown>; form?: boolean }): string | undefined {
    if (!c.body) return undefined;
    if (!c.form) return JSON.stringify(c.body);
    return new URLSearchParams(
      Object.entries(c.body).map(([k, v]): [string, string] => [
        k,
        typeof v === 'string' ? v : JSON.stringify(v),
      ]),
    ).toString();
  }

  beforeAll(async () => {
    sys = await startHostileSystem('hostile');
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    const dbPassword = new URL(testDatabaseUrl()).password;
    if (dbPassword) secrets.add(decodeURIComponent(dbPassword));
    admin = (await login(ADMIN.username, ADMIN.password)).access;
    for (const svc of Object.keys(DOCS) as ServiceName[]) {
      const res = await send(sys.base[svc], { method: 'GET', path: DOCS[svc] });
      expect(`${svc} ${res.status}`).toBe(`${svc} 200`);
      docs[svc] = await dereferenced(res.json as unknown as OpenApiDoc);
    }
  });
  afterAll(async () => {
    closeAgent();
    await db?.end();
    await sys?.close();
  });

  describe('HTTP', () => {
    const created: Array<{ value: string; id: string }> = [];

    /** What the base request of an operation must be for its hostile variants to be meaningful and harmless. */
    function adjust(plan: OperationPlan): OperationPlan {
      if (plan.op === 'PUT /api/v1/admin/maintenance')
        return { ...plan, body: { ...plan.body, enabled: false } };
      return plan;
    }

    async function sendCase(
      svc: ServiceName,
      plan: OperationPlan,
      c: HostileCase,
      i: number,
    ): Promise<RawResponse> {
      let body = c.body;
      if (svc === 'auth-gateway' && !plan.guarded && body)
        for (const name of Object.keys(body))
          if (ACCOUNT_FIELDS.has(name) && c.field.name !== name)
            body = { ...body, [name]: `hostile.${i}.${randomUUID().slice(0, 6)}` };
      if (plan.op === 'POST /api/v1/admin/users') {
        // Unique names and addresses, so each string is judged on its own, not as a duplicate.
        body = {
          ...body,
          ...(c.field.name !== 'username' ? { username: `hostile.${i}.${randomUUID().slice(0, 6)}` } : {}),
          ...(c.field.name !== 'email'
            ? { email: `hostile.${i}.${randomUUID().slice(0, 6)}@vigil.test` }
            : {}),
          ...(c.field.name !== 'password' ? { password: PASSWORD } : {}),
        };
      }
      const token = SESSION_ENDING.has(plan.op) ? (await login(sessionUser, PASSWORD)).access : admin;
      return send(sys.base[svc], {
        method: c.method.toUpperCase(),
        path: c.path,
        headers: headersFor(svc, plan, token),
        body: encodeBody({ body, form: c.form }),
      });
    }
    let sessionUser = '';

    beforeAll(async () => {
      sessionUser = `hostile.sessions.${randomUUID().slice(0, 8)}`;
      const res = await send(sys.base['auth-gateway'], {
        method: 'POST',
        path: '/api/v1/admin/users',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          username: sessionUser,
          email: `${sessionUser}@vigil.test`,
          password: PASSWORD,
        }),
      });
      expect(res.status).toBe(201);
    });

    it.each(['auth-gateway', 'audit-writer', 'security-monitor', 'retention-worker'] as const)(
      '%s: every naughty string in every path, query and body field of every endpoint: no 5xx, refusals are problem+json, still healthy, prototype clean',
      async (svc) => {
        const failures: string[] = [];
        const statuses = new Map<string, Map<number, number>>();
        let sent = 0;
        const timings: string[] = [];
        for (const raw of plans(docs[svc])) {
          if (raw.op === REVOKE_ALL || raw.op === METRICS) continue;
          const started = Date.now();
          const plan = adjust(raw);
          const corpusFor = (target: string) =>
            SESSION_ENDING.has(plan.op) ? sample(92) : EXPOSED.has(target) ? ALL : SAMPLE;
          const cases = casesOf(plan, corpusFor);
          const responses = await pool(cases, CONCURRENCY, (c, i) => sendCase(svc, plan, c, i));
          sent += cases.length;
          responses.forEach((res, i) => {
            const c = cases[i];
            const why = judge(c.path, res);
            if (why) failures.push(`${c.target} = ${show(c.value)}: ${why}`);
            const byStatus = statuses.get(c.target) ?? new Map<number, number>();
            byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
            statuses.set(c.target, byStatus);
            if (plan.op === 'POST /api/v1/admin/users' && c.field.name === 'username' && res.status === 201)
              created.push({ value: c.value, id: String(res.json!.id) });
          });
          if (cases.length) failures.push(...(await afterBatch(`${svc} after ${plan.op}`, svc)));
          timings.push(`${plan.op}: ${cases.length} in ${Date.now() - started} ms`);
        }
        console.log(
          `${svc}: ${sent} hostile requests over ${statuses.size} fields\n  ${timings.join('\n  ')}\n` +
            [...statuses.entries()]
              .map(([t, m]) => `  ${t.padEnd(70)} ${[...m.entries()].map(([s, n]) => `${s}×${n}`).join(' ')}`)
              .join('\n'),
        );
        failures.push(...(await afterBatch(`after ${svc}`)));
        expect(sent).toBeGreaterThan(0);
        expect(failures.slice(0, 40)).toEqual([]);
      },
    );

    it('seed 000-27: a naughty username that is valid is stored as sent (NFKC, trimmed, lower-cased: the documented form), byte for byte, in users and in its USER_CREATED audit row', async () => {
      expect(created.length).toBeGreaterThan(100);
      const ids = created.map((c) => c.id);
      const { rows } = await db.query<{ id: string; bytes: Buffer }>(
        `SELECT id::text, convert_to(username, 'UTF8') AS bytes FROM "${sys.gw.schema}".users WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      const stored = new Map(rows.map((r) => [r.id, r.bytes]));
      const audited = await waitFor(
        async () => {
          const r = await db.query<{ user_id: string; bytes: Buffer }>(
            `SELECT user_id::text, convert_to(username, 'UTF8') AS bytes FROM "${sys.writer.schema}".audit_logs
              WHERE action = 'USER_CREATED' AND user_id = ANY($1::uuid[])`,
            [ids],
          );
          return r.rows.length >= ids.length ? new Map(r.rows.map((x) => [x.user_id, x.bytes])) : undefined;
        },
        { timeoutMs: 60000, what: `${ids.length} USER_CREATED rows in audit_logs` },
      );
      const wrong: string[] = [];
      for (const { value, id } of created) {
        const want = Buffer.from(normalizeUsername(value), 'utf8');
        if (!stored.get(id)?.equals(want))
          wrong.push(`users ${show(value)}: ${stored.get(id)?.toString('hex')}`);
        if (!audited.get(id)?.equals(want))
          wrong.push(`audit_logs ${show(value)}: ${audited.get(id)?.toString('hex')}`);
      }
      expect(wrong).toEqual([]);
    });

    it('oversized and deeply nested bodies, wrong content types, prototype-pollution keys and invalid UTF-8 on every endpoint of every service: no 5xx, problem+json refusals', async () => {
      const failures: string[] = [];
      let sent = 0;
      for (const svc of Object.keys(DOCS) as ServiceName[]) {
        for (const raw of plans(docs[svc])) {
          if (raw.op === REVOKE_ALL || raw.op === METRICS || SESSION_ENDING.has(raw.op)) continue;
          const plan = adjust(raw);
          const url = urlOf(plan.template, plan.pathParams, plan.query);
          const base = JSON.stringify(plan.body ?? {}).slice(1, -1);
          const json = (members: string) => `{${[base, members].filter(Boolean).join(',')}}`;
          const bodies: Array<[string, string, string | Buffer]> = [
            ['1 MiB body', 'application/json', JSON.stringify({ ...plan.body, pad: 'x'.repeat(1 << 20) })],
            ['object nested 10,000 deep', 'application/json', nestedObject(10000)],
            ['array nested 10,000 deep', 'application/json', nestedArray(10000)],
            [
              'object nested 1,000 deep (under the size limits)',
              'application/json',
              json(`"deep":${nestedObject(1000)}`),
            ],
            ['array nested 2,000 deep (under the size limits)', 'application/json', nestedArray(2000)],
            ['__proto__ key', 'application/json', json('"__proto__":{"polluted":"yes","isAdmin":true}')],
            [
              'constructor.prototype key',
              'application/json',
              json('"constructor":{"prototype":{"polluted":"yes"}}'),
            ],
            [
              '__proto__ in a form',
              'application/x-www-form-urlencoded',
              '__proto__[polluted]=yes&constructor[prototype][hostile]=1',
            ],
            ['text/plain', 'text/plain', 'hello'],
            [
              'XML',
              'application/xml',
              '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
            ],
            [
              'multipart junk',
              'multipart/form-data; boundary=zz',
              '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--zz--',
            ],
            ['JSON declared as a form', 'application/x-www-form-urlencoded', JSON.stringify(plan.body ?? {})],
            ['a form declared as JSON', 'application/json', 'username=a&password=b'],
            [
              'UTF-16 JSON',
              'application/json; charset=utf-16',
              Buffer.from(JSON.stringify(plan.body ?? {}), 'utf16le'),
            ],
            ['truncated JSON', 'application/json', json('"x":').slice(0, -1)],
            ['a JSON string', 'application/json', '"just a string"'],
            ['JSON null', 'application/json', 'null'],
            ...INVALID_UTF8.map(
              (bytes, i) =>
                [
                  `invalid UTF-8 #${i} in a JSON string`,
                  'application/json',
                  Buffer.concat([
                    Buffer.from(`{"${plan.bodyFields[0] ?? 'x'}":"a`),
                    bytes,
                    Buffer.from('b"}'),
                  ]),
                ] as [string, string, Buffer],
            ),
            [
              'invalid UTF-8 in a form',
              'application/x-www-form-urlencoded',
              Buffer.concat([Buffer.from('username='), INVALID_UTF8[1]]),
            ],
            [
              'percent-encoded invalid UTF-8 in a form',
              'application/x-www-form-urlencoded',
              'username=%C0%AF&password=%FF',
            ],
          ];
          const requests: Array<[string, Parameters<typeof send>[1]]> = [];
          if (plan.method !== 'get')
            for (const [name, type, body] of bodies)
              requests.push([
                name,
                {
                  method: plan.method.toUpperCase(),
                  path: url,
                  headers: { ...headersFor(svc, plan), 'content-type': type },
                  body,
                },
              ]);
          const hostilePaths: Array<[string, string]> = [
            [
              '__proto__ in the query',
              `${url}${url.includes('?') ? '&' : '?'}__proto__[polluted]=yes&constructor[prototype][polluted]=yes`,
            ],
            [
              'percent-encoded invalid UTF-8 in the query',
              `${url}${url.includes('?') ? '&' : '?'}q=%C0%AF%FF%ED%A0%80`,
            ],
            ['a bare % in the query', `${url}${url.includes('?') ? '&' : '?'}q=%`],
          ];
          if (Object.keys(plan.pathParams).length)
            for (const bad of ['%C0%AF', '%FF', '%ED%A0%80', '%', '%00', '..%2F..%2F'])
              hostilePaths.push([`path parameter ${bad}`, plan.template.replace(/\{[^}]+\}/g, bad)]);
          for (const [name, path] of hostilePaths)
            requests.push([
              name,
              {
                method: plan.method.toUpperCase(),
                path,
                headers: headersFor(svc, plan),
                body: plan.body ? JSON.stringify(plan.body) : undefined,
              },
            ]);
          const responses = await pool(requests, CONCURRENCY, ([, r]) => send(sys.base[svc], r));
          sent += requests.length;
          responses.forEach((res, i) => {
            const why = judge(requests[i][1].path, res);
            if (why) failures.push(`${svc} ${plan.op} ${requests[i][0]}: ${why}`);
          });
          failures.push(...(await afterBatch(`${svc} ${plan.op} structural`, svc)));
        }
      }
      console.log(`structural: ${sent} requests`);
      expect(failures.slice(0, 60)).toEqual([]);
    });

    it('huge and hostile headers (64 KiB header, 12 KiB bearer, naughty Authorization, X-Request-Id, traceparent, User-Agent, X-Forwarded-For): no 5xx, the services keep serving', async () => {
      const failures: string[] = [];
      const headerSafe = [...SAMPLE, ...EXTRA].filter((s) => /^[\x20-\x7e]*$/.test(s) && s.length < 8000);
      for (const svc of Object.keys(DOCS) as ServiceName[]) {
        const guarded = plans(docs[svc]).find((p) => p.guarded && p.method === 'get')!;
        const gpath = urlOf(guarded.template, guarded.pathParams, guarded.query);
        const requests: Array<[string, Parameters<typeof send>[1]]> = [
          ['64 KiB header', { method: 'GET', path: gpath, headers: { 'x-hostile': 'h'.repeat(64 * 1024) } }],
          [
            '64 KiB bearer',
            { method: 'GET', path: gpath, headers: { authorization: `Bearer ${'a'.repeat(64 * 1024)}` } },
          ],
          [
            '12 KiB bearer',
            { method: 'GET', path: gpath, headers: { authorization: `Bearer ${'a'.repeat(12 * 1024)}` } },
          ],
        ];
        for (const s of headerSafe) {
          requests.push([
            `Authorization: Bearer ${show(s)}`,
            { method: 'GET', path: gpath, headers: { authorization: `Bearer ${s}` } },
          ]);
          requests.push([
            `Authorization: ${show(s)}`,
            { method: 'GET', path: gpath, headers: { authorization: s } },
          ]);
          requests.push([
            `X-Request-Id/traceparent/User-Agent/X-Forwarded-For ${show(s)}`,
            {
              method: 'GET',
              path: gpath,
              headers: {
                authorization: `Bearer ${admin}`,
                'x-request-id': s,
                traceparent: s,
                'user-agent': s,
                'x-forwarded-for': s,
              },
            },
          ]);
        }
        if (svc === 'auth-gateway')
          for (const s of headerSafe)
            requests.push([
              `login with hostile X-Request-Id/traceparent/User-Agent/X-Forwarded-For ${show(s)}`,
              {
                method: 'POST',
                path: '/api/v1/auth/login',
                headers: {
                  'content-type': 'application/json',
                  'x-request-id': s,
                  traceparent: s,
                  'user-agent': s,
                  'x-forwarded-for': s,
                },
                body: JSON.stringify({ username: 'nobody-here', password: 'wrong' }),
              },
            ]);
        const responses = await pool(requests, CONCURRENCY, ([, r]) => send(sys.base[svc], r));
        responses.forEach((res, i) => {
          const [name, r] = requests[i];
          const why = judge(r.path, res);
          if (why) failures.push(`${svc} ${name}: ${why}`);
        });
        failures.push(...(await afterBatch(`${svc} headers`)));
      }
      expect(failures.slice(0, 40)).toEqual([]);
    });

    it('revoke-all with every naughty reason, last (it ends the admin session too): no 5xx, problem+json refusals', async () => {
      const plan = plans(docs['auth-gateway']).find((p) => p.op === REVOKE_ALL)!;
      const cases = casesOf(plan, () => SAMPLE);
      const failures: string[] = [];
      for (const c of cases) {
        // One at a time: an accepted call revokes the token the next one would carry.
        const res = await send(sys.base['auth-gateway'], {
          method: 'POST',
          path: c.path,
          headers: headersFor('auth-gateway', plan),
          body: encodeBody(c),
        });
        const why = judge(c.path, res);
        if (why) failures.push(`${c.target} = ${show(c.value)}: ${why}`);
        if (res.status === 401 || (res.status >= 200 && res.status < 300))
          admin = (await login(ADMIN.username, ADMIN.password)).access;
      }
      failures.push(...(await afterBatch('revoke-all')));
      expect(failures).toEqual([]);
    });
  });

  describe('topics', () => {
    interface HostileRecord {
      key: string;
      value: Buffer | null;
      what: string;
      /** The contract's verdict: valid records are stored; the rest go to the DLQ with this reason. */
      verdict: ReturnType<typeof decodeEvent>;
      /** For a valid auth record: the event, to compare what is stored with what was sent. */
      event?: EventEnvelope;
    }
    let seq = 0;
    const setAt = (obj: Record<string, unknown>, path: string, value: unknown) => {
      const parts = path.split('.');
      let o = obj;
      for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
      o[parts[parts.length - 1]] = value;
    };

    /** Every string of `corpusFor(field)` in each field of `base`, plus the structural hostiles. */
    function hostileRecords(
      name: string,
      base: () => Record<string, unknown>,
      fields: string[],
      corpusFor: (field: string) => readonly string[],
      decode: (b: Buffer | null) => ReturnType<typeof decodeEvent> = decodeEvent,
    ): HostileRecord[] {
      const out: HostileRecord[] = [];
      const push = (what: string, value: Buffer | null, event?: EventEnvelope) => {
        const verdict = decode(value);
        out.push({ key: `${name}-${seq++}`, value, what, verdict, event: verdict.ok ? event : undefined });
      };
      const fresh = () => ({ ...base(), id: uuidv7() });
      for (const field of fields)
        for (const v of corpusFor(field)) {
          const e = structuredClone(fresh());
          setAt(e, field, v);
          push(
            `${field} = ${show(v)}`,
            Buffer.from(JSON.stringify(e), 'utf8'),
            e as unknown as EventEnvelope,
          );
        }
      const structuralFrom = out.length;
      const text = (e: unknown) => Buffer.from(JSON.stringify(e), 'utf8');
      const json = JSON.stringify(fresh());
      push('empty', null);
      push('whitespace', Buffer.from(' \n\t '));
      push('truncated JSON', Buffer.from(json.slice(0, json.length / 2)));
      push('JSON null', Buffer.from('null'));
      push('a JSON array', Buffer.from('[1,2,3]'));
      push('a JSON string', Buffer.from('"SECURITY_ACTION"'));
      for (const [i, bytes] of INVALID_UTF8.entries()) {
        // In a free-text field, where U+FFFD would pass the pattern, and in the producer name.
        const inText = json.indexOf('"username":"');
        if (inText >= 0) {
          const at = inText + '"username":"'.length;
          push(
            `invalid UTF-8 #${i} in the username`,
            Buffer.concat([Buffer.from(json.slice(0, at)), bytes, Buffer.from(json.slice(at))]),
          );
        }
        const marker = '"producer":"';
        const at = json.indexOf(marker) + marker.length;
        push(
          `invalid UTF-8 #${i} in a string`,
          Buffer.concat([Buffer.from(json.slice(0, at)), bytes, Buffer.from(json.slice(at))]),
        );
      }
      push('a 900 KiB record', text({ ...fresh(), pad: 'p'.repeat(900 * 1024) }));
      push('a 100 KiB record', text({ ...fresh(), attributes: { junk: 'j'.repeat(100 * 1024) } }));
      push('nested 10,000 deep', Buffer.from(json.replace(/\}$/, `,"deep":${nestedObject(10000)}}`)));
      push('__proto__ at the root', Buffer.from(json.replace(/^\{/, '{"__proto__":{"polluted":"yes"},')));
      push(
        '__proto__ in attributes',
        Buffer.from(json.replace('"attributes":{', '"attributes":{"__proto__":{"polluted":"yes"},')),
      );
      push(
        'constructor.prototype',
        Buffer.from(json.replace(/^\{/, '{"constructor":{"prototype":{"polluted":"yes"}},')),
      );
      push('a password property', text({ ...fresh(), password: PASSWORD }));
      for (const v of [2, 0, -1, '1', 1.5, 1e21, null])
        push(`schemaVersion ${JSON.stringify(v)}`, text({ ...fresh(), schemaVersion: v }));
      // Independent of the contract's verdict: no event may be accepted in any of these forms. (The
      // monitor's internal partials records tolerate unknown properties, so only its verdict counts there.)
      for (const r of decode === decodeEvent ? out.slice(structuralFrom) : [])
        if (r.verdict.ok) throw new Error(`the contract accepts a hostile record: ${name} ${r.what}`);
      return out;
    }

    const producer = () =>
      createKafka({ clientId: 'vigil-test-hostile', brokers: kafkaBrokers() }).producer();

    async function publish(topic: string, records: Array<{ key: string; value: Buffer | string | null }>) {
      const p = producer();
      await p.connect();
      try {
        for (const messages of requestsOf(records.map((r) => ({ key: r.key, value: r.value }))))
          await p.send({ topic, messages });
      } finally {
        await p.disconnect();
      }
    }

    /** The DLQ records of `topic` written by each of `groups`, by key (the DLQ keeps the original key). */
    async function dlqOf(topic: string, groups: string[], expected: number) {
      const got = expected === 0 ? [] : await readMessages(dlqTopic(topic), expected, 90000);
      const out = new Map<string, Map<string, KafkaRecord>>();
      for (const m of got) {
        const group = m.headers?.['dlq-consumer-group']?.toString() ?? '';
        if (!groups.includes(group)) continue;
        const byKey = out.get(group) ?? new Map<string, KafkaRecord>();
        byKey.set(m.key?.toString() ?? '', m);
        out.set(group, byKey);
      }
      return out;
    }

    /** `group` has committed every offset of `topic`: it went on past the hostile batch. */
    async function caughtUp(group: string, topic: string): Promise<void> {
      const admin = createKafka({ clientId: 'vigil-test-hostile-admin', brokers: kafkaBrokers() }).admin();
      await admin.connect();
      try {
        await waitFor(
          async () => {
            const ends = await admin.fetchTopicOffsets(topic);
            const committed = await committedOffsets(group, topic);
            return ends.every((e) => committed[e.partition] === e.offset);
          },
          { timeoutMs: 90000, what: `${group} to commit the end of ${topic}` },
        );
      } finally {
        await admin.disconnect();
      }
    }

    /** DLQ entries with the contract's reason and the original bytes, from each group; no valid record there; each group caught up. */
    async function judgeTopic(
      topic: string,
      records: HostileRecord[],
      groups: string[],
      committing = groups,
    ): Promise<string[]> {
      const bad = records.filter((r) => !r.verdict.ok);
      const failures: string[] = [];
      const dlq = await dlqOf(topic, groups, bad.length * groups.length);
      for (const group of groups) {
        const byKey = dlq.get(group) ?? new Map<string, KafkaRecord>();
        for (const r of bad) {
          const m = byKey.get(r.key);
          const want = r.verdict.ok ? '' : r.verdict.reason;
          const reason = m?.headers?.['dlq-reason']?.toString();
          if (!m) failures.push(`${topic} ${group}: ${r.what} not in the DLQ`);
          else if (reason !== want)
            failures.push(`${topic} ${group}: ${r.what} in the DLQ as ${reason}, not ${want}`);
          else if (r.value && !Buffer.from(m.value ?? []).equals(r.value))
            failures.push(`${topic} ${group}: ${r.what}: the DLQ holds other bytes than were sent`);
        }
        for (const r of records.filter((x) => x.verdict.ok))
          if (byKey.has(r.key)) failures.push(`${topic} ${group}: valid ${r.what} went to the DLQ`);
      }
      for (const group of committing) await caughtUp(group, topic);
      return failures;
    }

    /** Valid records are stored exactly: username and user agent as sent (string equality), attributes equal. */
    async function storedExactly(records: HostileRecord[]): Promise<string[]> {
      const valid = records.filter((r) => r.event);
      const ids = valid.map((r) => r.event!.id);
      type Row = {
        event_id: string;
        username: string | null;
        user_agent: string | null;
        details: { attributes: unknown };
      };
      const rows = await waitFor(
        async () => {
          const r = await db.query<Row>(
            `SELECT event_id::text, username, user_agent, details FROM "${sys.writer.schema}".audit_logs WHERE event_id = ANY($1::uuid[])`,
            [ids],
          );
          return r.rows.length === ids.length ? new Map(r.rows.map((x) => [x.event_id, x])) : undefined;
        },
        { timeoutMs: 90000, what: `${ids.length} valid hostile records in audit_logs` },
      );
      const wrong: string[] = [];
      for (const r of valid) {
        const e = r.event!;
        const row = rows.get(e.id)!;
        if (row.username !== (e.subject?.username ?? null))
          wrong.push(`${r.what}: username stored as ${show(String(row.username))}`);
        if (row.user_agent !== (e.source?.userAgent ?? null))
          wrong.push(`${r.what}: user agent stored as ${show(String(row.user_agent))}`);
        if (canonical(row.details.attributes) !== canonical(e.attributes))
          wrong.push(
            `${r.what}: attributes stored as ${JSON.stringify(row.details.attributes).slice(0, 80)}`,
          );
      }
      return wrong;
    }

    const failedLogin = () =>
      createEvent('FAILED_AUTH_LOGIN', {
        producer: 'auth-gateway',
        occurredAt: new Date(),
        subject: { username: 'hostile@example.com' },
        source: { ip: '198.51.100.77', userAgent: 'curl/8.5.0' },
        outcome: 'failure',
        reason: 'invalid_credentials',
        requestId: `req-${randomUUID()}`,
        attributes: { attemptCount: 1, repeated: false },
      }) as unknown as Record<string, unknown>;
    const ENVELOPE_FIELDS = [
      'id',
      'type',
      'schemaVersion',
      'occurredAt',
      'producer',
      'outcome',
      'reason',
      'requestId',
      'traceparent',
      'subject.userId',
      'source.ip',
      'actor.userId',
      'attributes.attemptCount',
    ];
    const FREE_TEXT = ['subject.username', 'source.userAgent'];

    it('auth.events (audit-writer and security-monitor): every string in every envelope field, invalid UTF-8, truncated JSON, huge records, prototype keys, wrong schemaVersion: bad records in the DLQ with the reason from each group, valid ones stored exactly, both consumers caught up', async () => {
      const records = hostileRecords('auth', failedLogin, [...FREE_TEXT, ...ENVELOPE_FIELDS], (f) =>
        FREE_TEXT.includes(f) ? ALL : SAMPLE,
      );
      // A good event after the hostile batch: stored, so the writer went on.
      const after = failedLogin() as unknown as EventEnvelope;
      await publish(sys.topics.auth, [...records, { key: 'after', value: JSON.stringify(after) }]);
      // The monitor's user stage commits only up to its last snapshot, so its committed offset
      // does not show progress; the good event reaching its keyed stage (repartitioned by IP) does.
      const failures = await judgeTopic(
        sys.topics.auth,
        records,
        [sys.groups.writer, sys.monitor.config.kafkaGroupId],
        [sys.groups.writer],
      );
      await readUntil(sys.topics.repartition, (m) => !!m.value?.toString().includes(after.id), 60000);
      failures.push(...(await storedExactly(records)));
      const { rowCount } = await db.query(
        `SELECT 1 FROM "${sys.writer.schema}".audit_logs WHERE event_id = $1`,
        [after.id],
      );
      expect(rowCount).toBe(1);
      failures.push(...(await afterBatch('auth.events')));
      console.log(
        `auth.events: ${records.length} hostile records, ${records.filter((r) => !r.verdict.ok).length} refused by the contract`,
      );
      expect(records.filter((r) => r.event).length).toBeGreaterThan(400);
      expect(failures.slice(0, 40)).toEqual([]);
    });

    it("ops.events and security.alerts (audit-writer), security.actions (auth-gateway), the monitor's repartition and partials topics: hostile records in each DLQ with the reason, every consumer caught up", async () => {
      const failures: string[] = [];
      const sampled = () => SAMPLE;
      const now = () => new Date().toISOString();
      const cases: Array<[string, string, HostileRecord[], string[]]> = [
        [
          'ops.events',
          sys.topics.ops,
          hostileRecords(
            'ops',
            () => ({ ...sampleEvent('AUDIT_LOG_READ'), occurredAt: now() }),
            ['attributes.endpoint', 'source.userAgent', 'producer'],
            sampled,
          ),
          [sys.groups.writer],
        ],
        [
          'security.alerts',
          sys.topics.alerts,
          hostileRecords(
            'alerts',
            () => ({ ...sampleEvent('SECURITY_ALERT'), occurredAt: now() }),
            ['attributes.summary', 'attributes.ruleId', 'attributes.status'],
            sampled,
          ),
          [sys.groups.writer],
        ],
        [
          'security.actions',
          sys.topics.actions,
          hostileRecords(
            'actions',
            () => ({ ...sampleEvent('SECURITY_ACTION'), occurredAt: now() }),
            ['attributes.action', 'attributes.target.value', 'attributes.signature'],
            sampled,
          ),
          [sys.gw.config.kafkaGroupId],
        ],
        [
          'monitor repartition',
          sys.topics.repartition,
          hostileRecords('repartition', failedLogin, ['subject.userId', 'source.ip'], sampled),
          [`${sys.monitor.config.kafkaGroupId}.ip`],
        ],
        [
          'monitor partials',
          sys.topics.partials,
          hostileRecords(
            'partials',
            () =>
              JSON.parse(
                encodeGlobalPartialsRecord({ v: 1, source: 0, upto: '1', maxT: Date.now(), rules: [] }),
              ),
            ['upto', 'v'],
            sampled,
            (b) => {
              const r = decodeGlobalPartialsRecord(b);
              return r.ok ? { ok: true, event: r.record as never } : r;
            },
          ),
          [`${sys.monitor.config.kafkaGroupId}.global`],
        ],
      ];
      for (const [name, topic, records, groups] of cases) {
        // Only the records the contract refuses: a valid action, alert or partials record would act.
        const bad = records.filter((r) => !r.verdict.ok);
        await publish(topic, bad);
        failures.push(...(await judgeTopic(topic, bad, groups)));
        failures.push(...(await afterBatch(name)));
        console.log(
          `${name}: ${bad.length} hostile records refused by the contract (of ${records.length} made)`,
        );
      }
      expect(failures.slice(0, 40)).toEqual([]);
    });
  });

  describe('logs', () => {
    it('seed 000-07: no password, token or secret used in the run appears in any log line of the four services', () => {
      const lines = sys.logLines();
      expect(lines.length).toBeGreaterThan(1000);
      const leaks: string[] = [];
      for (const secret of secrets)
        for (const line of lines)
          if (line.includes(secret)) leaks.push(`${secret.slice(0, 12)}… in ${line.slice(0, 160)}`);
      expect(secrets.size).toBeGreaterThan(10);
      expect(leaks.slice(0, 10)).toEqual([]);
    });
  });
});
