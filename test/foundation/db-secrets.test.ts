// Issue 14 item 9 (seeds 000-42, 003-23: secrets that can be rotated one at a time): one password
// per database role, nothing defaulted in production, and the audit owner's credentials used by
// the one-shot migration command only, never by the running writer. Against a PostgreSQL server of
// its own that checks passwords (scram-sha-256), so db-setup may set roles' passwords freely.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { waitFor } from '@vigil/testing';
import { RuntimeRoleCheck, runtimeRoleOf } from '../../apps/audit-writer/src/runtime-role.check';
import { startApp, type TestApp } from '../support/apps';
import { PgCluster } from '../support/pg-cluster';
import { writerFixture } from '../audit-writer/support';

const ROOT = path.resolve(__dirname, '../..');
const ROLES = [
  'vigil_gateway',
  'vigil_audit_writer',
  'vigil_audit_owner',
  'vigil_security_monitor',
  'vigil_retention',
  'vigil_backup',
  // Grafana's read-only view of the audit store (deploy/grafana's SQL panels).
  'vigil_grafana',
];

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('one secret per database role (issue 14 item 9)', () => {
  const pg = new PgCluster(55437, 'db-secrets');
  const secrets = mkdtempSync(path.join(os.tmpdir(), 'vigil-secrets-'));
  const setup = (env: NodeJS.ProcessEnv = {}) =>
    run(['deploy/local/db-setup.js'], {
      DATABASE_ADMIN_URL: pg.adminUrl,
      VIGIL_DB: 'vigil',
      VIGIL_SECRETS_DIR: secrets,
      ...env,
    });
  const password = (role: string) => readFileSync(path.join(secrets, `db-${role}`), 'utf8').trim();
  const urlAs = (role: string, pw = password(role)) =>
    `postgres://${role}:${encodeURIComponent(pw)}@127.0.0.1:${pg.port}/vigil`;
  const canLogIn = async (url: string) => {
    const c = new Client({ connectionString: url });
    try {
      await c.connect();
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  beforeAll(async () => {
    await pg.init({ passwordAuth: true });
  });
  afterAll(async () => {
    await pg.destroy();
  });

  it('db-setup makes a distinct random password per role (files 0600) and each role logs in with its own only', async () => {
    const first = await setup();
    expect(first.code).toBe(0);
    expect(readdirSync(secrets).sort()).toEqual(ROLES.map((r) => `db-${r}`).sort());
    for (const r of ROLES) expect(statSync(path.join(secrets, `db-${r}`)).mode & 0o777).toBe(0o600);
    const values = ROLES.map(password);
    expect(new Set(values).size).toBe(ROLES.length);
    for (const v of values) expect(first.out).not.toContain(v);
    expect(await canLogIn(urlAs('vigil_gateway'))).toBe(true);
    expect(await canLogIn(urlAs('vigil_gateway', password('vigil_retention')))).toBe(false);
    expect(await canLogIn(urlAs('vigil_audit_writer', 'vigil-dev-only'))).toBe(false);
    // Idempotent: a second run keeps the files and the server in agreement.
    expect((await setup()).code).toBe(0);
    expect(ROLES.map(password)).toEqual(values);
    expect(await canLogIn(urlAs('vigil_audit_owner'))).toBe(true);
  });

  it("seeds 000-42, 003-23: one role's secret is rotated alone (new file, db-setup again): its old password stops working, the others keep theirs", async () => {
    const old = password('vigil_retention');
    const gateway = password('vigil_gateway');
    writeFileSync(path.join(secrets, 'db-vigil_retention'), 'rotated-' + old.slice(0, 12) + '\n', {
      mode: 0o600,
    });
    expect((await setup()).code).toBe(0);
    expect(await canLogIn(urlAs('vigil_retention', old))).toBe(false);
    expect(await canLogIn(urlAs('vigil_retention'))).toBe(true);
    expect(password('vigil_gateway')).toBe(gateway);
    expect(await canLogIn(urlAs('vigil_gateway'))).toBe(true);
  });

  it('with NODE_ENV=production nothing is made up: a missing password stops the set-up, naming where to put it', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'vigil-secrets-empty-'));
    const r = await run(['deploy/local/db-setup.js'], {
      DATABASE_ADMIN_URL: pg.adminUrl,
      VIGIL_DB: 'vigil',
      VIGIL_SECRETS_DIR: empty,
      NODE_ENV: 'production',
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain('VIGIL_DB_PASSWORD_VIGIL_GATEWAY');
    expect(readdirSync(empty)).toEqual([]);
    expect(await canLogIn(urlAs('vigil_gateway'))).toBe(true); // nothing was changed
    // Given explicitly (as a deployment would), production set-up applies it.
    const given = Object.fromEntries(
      ROLES.map((role) => [`VIGIL_DB_PASSWORD_${role.toUpperCase()}`, password(role)]),
    );
    const ok = await run(['deploy/local/db-setup.js'], {
      DATABASE_ADMIN_URL: pg.adminUrl,
      VIGIL_DB: 'vigil',
      VIGIL_SECRETS_DIR: empty,
      NODE_ENV: 'production',
      ...given,
    });
    expect(ok.code).toBe(0);
  });

  describe('the audit owner migrates; the running writer is append-only', () => {
    let writer: TestApp | undefined;
    afterAll(async () => writer?.close());

    it('the writer, as its own role, waits not ready until `npm run db:migrate` has run as the owner', async () => {
      const fx = await writerFixture('dbsecrets');
      writer = await startApp('audit-writer', {
        ...fx.env,
        DATABASE_URL: urlAs('vigil_audit_writer'),
        DB_SCHEMA: 'audit',
        DB_MIGRATE_ON_START: 'false',
      });
      const server = writer.app.getHttpServer();
      const pending = await request(server).get('/health');
      expect(pending.status).toBe(503);
      expect(pending.body.checks.migrations).toMatchObject({
        ok: false,
        detail: 'pending: run npm run db:migrate',
      });

      // The writer's role cannot change the schema it writes to.
      const denied = await run(['-r', './tools/ts-register.js', 'tools/db-migrate.ts', 'audit-writer'], {
        DATABASE_MIGRATION_URL: urlAs('vigil_audit_writer'),
      });
      expect(denied.code).toBe(1);
      expect(denied.out).toMatch(/permission denied/);
      expect(denied.out).not.toContain(password('vigil_audit_writer'));

      const migrated = await run(['-r', './tools/ts-register.js', 'tools/db-migrate.ts', 'audit-writer'], {
        DATABASE_MIGRATION_URL: urlAs('vigil_audit_owner'),
      });
      expect(migrated.out).toMatch(/applied [1-9]/);
      expect(migrated.code).toBe(0);
      expect(migrated.out).not.toContain(password('vigil_audit_owner'));

      await waitFor(async () => (await request(server).get('/health')).status === 200, {
        timeoutMs: 20000,
        what: 'writer ready after db:migrate',
      });
    });

    it('the migration command names a missing DATABASE_MIGRATION_URL (exit 78)', async () => {
      const r = await run(['-r', './tools/ts-register.js', 'tools/db-migrate.ts', 'audit-writer'], {});
      expect(r.code).toBe(78);
      expect(r.out).toContain('DATABASE_MIGRATION_URL is required');
    });

    it('a writer connected as the owner or a superuser refuses to start in production', async () => {
      const verdicts: Record<string, string> = {};
      for (const [role, url] of [
        ['vigil_audit_writer', urlAs('vigil_audit_writer')],
        ['vigil_audit_owner', urlAs('vigil_audit_owner')],
        ['postgres', `postgres://postgres@127.0.0.1:${pg.port}/vigil`],
      ]) {
        const ds = new DataSource({ type: 'postgres', url });
        await ds.initialize();
        try {
          verdicts[role] = (await runtimeRoleOf((sql, params) => ds.query(sql, params), 'audit')).verdict;
          const check = new RuntimeRoleCheck(
            ds,
            { nodeEnv: 'production', dbSchema: 'audit' } as never,
            { warn: () => undefined } as never,
          );
          if (role === 'vigil_audit_writer') await expect(check.onModuleInit()).resolves.toBeUndefined();
          else await expect(check.onModuleInit()).rejects.toThrow(/must run as its append-only role/);
        } finally {
          await ds.destroy();
        }
      }
      expect(verdicts).toEqual({
        vigil_audit_writer: 'append-only',
        vigil_audit_owner: 'owner',
        postgres: 'superuser',
      });
    });
  });
});
