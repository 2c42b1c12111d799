// Seed 001's SQL, exactly as the runbook writes it, against a database prepared by
// deploy/local/db-setup.js and migrated by the gateway and the writer: as postgres (also through
// the real psql, as the runbook runs it) and as a login role granted vigil_operator, over a plain
// connection that never sets search_path.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createDataSource, runMigrations } from '@vigil/database';
import { migrations as auditMigrations } from '../../apps/audit-writer/src/migrations';
import { migrations as gatewayMigrations } from '../../apps/auth-gateway/src/migrations';

const run = promisify(execFile);
const adminUrl = new URL(process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const database = `vigil_seed001_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
const operator = `ops_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
const urlFor = (user?: string, password?: string) => {
  const u = new URL(adminUrl.toString());
  u.pathname = `/${database}`;
  if (user) u.username = user;
  if (password) u.password = password;
  return u.toString();
};

/** The seed's statements, verbatim (whitespace aside), by RUNBOOK-MAP row. */
const SEED_001_READS: Array<[string, string]> = [
  ['001-44', 'SELECT count(*) FROM audit_logs;'],
  ['001-48', 'SELECT * FROM audit_logs WHERE user_id NOT IN (SELECT id FROM users);'],
  ['001-49', 'SELECT * FROM audit_logs WHERE created_at IS NULL;'],
  ['001-58', 'SELECT email, is_admin FROM users WHERE is_admin = true;'],
  [
    '001-59',
    "SELECT user_id, count(*) FROM audit_logs WHERE action = 'AUTH_LOGIN' AND created_at > now() - interval '1 day' GROUP BY user_id;",
  ],
  [
    '001-60',
    "SELECT ip_address, count(*) FROM audit_logs WHERE action = 'FAILED_AUTH_LOGIN' AND created_at > now() - interval '1 hour' GROUP BY ip_address HAVING count(*) > 10;",
  ],
  [
    '001-61',
    "SELECT action, count(*) FROM audit_logs WHERE created_at > now() - interval '1 day' GROUP BY action;",
  ],
  [
    '001-62',
    "SELECT * FROM audit_logs WHERE action LIKE 'SECURITY_%' AND created_at > now() - interval '1 day' ORDER BY created_at DESC;",
  ],
  ['001-63', 'SELECT min(created_at) FROM audit_logs;'],
  ['001-64', "SELECT count(*) FROM audit_logs WHERE created_at < now() - interval '90 days';"],
  [
    '001-65',
    "SELECT date_trunc('hour', created_at) as hour, count(*) as log_count FROM audit_logs GROUP BY hour ORDER BY hour DESC;",
  ],
];
const SEED_001_WRITES: Array<[string, string]> = [
  ['001-57', "UPDATE users SET is_admin = true WHERE email = 'admin@example.com';"],
  [
    '001-68',
    "UPDATE users SET is_active = false WHERE id IN ( SELECT user_id FROM audit_logs WHERE action = 'FAILED_AUTH_LOGIN' GROUP BY user_id HAVING count(*) > 10 );",
  ],
];

async function migrate(
  schema: string,
  list: Parameters<typeof createDataSource>[0]['migrations'],
): Promise<void> {
  const ds = createDataSource({
    url: urlFor(),
    schema,
    poolMax: 2,
    applicationName: 'seed-001-test',
    migrations: list,
  });
  await ds.initialize();
  try {
    await runMigrations(ds, `seed-001-test:${schema}`);
  } finally {
    await ds.destroy();
  }
}

async function plainClient(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

describe('seed 001 SQL runs as written, with no SET search_path', () => {
  beforeAll(async () => {
    const { stderr } = await run(process.execPath, ['deploy/local/db-setup.js'], {
      env: { ...process.env, VIGIL_DB: database },
    });
    expect(stderr).toContain(`created database ${database}`);
    await migrate('gateway', gatewayMigrations);
    await migrate('audit', auditMigrations);
    const admin = await plainClient(urlFor());
    try {
      await admin.query(`CREATE ROLE ${operator} LOGIN PASSWORD 'op-test-only'`);
      await admin.query(`GRANT vigil_operator TO ${operator}`);
      await admin.query(
        `INSERT INTO gateway.users (username, email, password_hash) VALUES ('admin', 'admin@example.com', 'x')`,
      );
    } finally {
      await admin.end();
    }
  });

  afterAll(async () => {
    const c = await plainClient(adminUrl.toString());
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${operator}`);
    await c.end();
  });

  it.each(SEED_001_READS)('seed %s as postgres: %s', async (_row, sql) => {
    const c = await plainClient(urlFor());
    try {
      await expect(c.query(sql)).resolves.toBeDefined();
    } finally {
      await c.end();
    }
  });

  it.each(SEED_001_READS)('seed %s as a login role granted vigil_operator: %s', async (_row, sql) => {
    const c = await plainClient(urlFor(operator, 'op-test-only'));
    try {
      await expect(c.query(sql)).resolves.toBeDefined();
    } finally {
      await c.end();
    }
  });

  it('seed 001-57, 001-58, 001-68: the permission update and the lockdown run as the operator', async () => {
    const c = await plainClient(urlFor(operator, 'op-test-only'));
    try {
      for (const [, sql] of SEED_001_WRITES) await c.query(sql);
      const { rows } = await c.query('SELECT email, is_admin FROM users WHERE is_admin = true;');
      expect(rows).toEqual([{ email: 'admin@example.com', is_admin: true }]);
    } finally {
      await c.end();
    }
  });

  it('seed 001-46, 001-54: psql -d <db> -U postgres -c "SELECT count(*) FROM audit_logs;"', async () => {
    const { stdout } = await run('psql', [
      '-h',
      adminUrl.hostname,
      '-p',
      adminUrl.port || '5432',
      '-d',
      database,
      '-U',
      'postgres',
      '-At',
      '-c',
      'SELECT count(*) FROM audit_logs;',
    ]);
    expect(stdout.trim()).toBe('0');
  });
});
