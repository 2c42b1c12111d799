#!/usr/bin/env node
// Prepares PostgreSQL for Vigil: one database, one schema and one login role per service, and a
// NOLOGIN `vigil_operator` role for runbook SQL that joins users and audit_logs. Idempotent.
// Tables come from each service's TypeORM migrations, run by the service as its own role.
//
//   DATABASE_ADMIN_URL  superuser connection   (default postgres://postgres@127.0.0.1:5432/postgres)
//   VIGIL_DB            database name          (default vigil)
//   one password per login role (issue 14 item 9), see deploy/local/db-secrets.js:
//     VIGIL_DB_PASSWORD_<ROLE> (e.g. VIGIL_DB_PASSWORD_VIGIL_GATEWAY), else the file
//     $VIGIL_SECRETS_DIR/db-<role> (default .cache/secrets), made with a random value when missing
//     outside production; with NODE_ENV=production a missing one stops the set-up, naming it.
// Each role's password is (re)applied on every run, so the files and the server agree.
'use strict';
const { Client } = require('pg');
const { rolePassword } = require('./db-secrets');

const adminUrl = process.env.DATABASE_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const database = process.env.VIGIL_DB || 'vigil';
if (process.env.VIGIL_DB_PASSWORD) {
  console.error(
    '[db] VIGIL_DB_PASSWORD is no longer read: each role has its own (VIGIL_DB_PASSWORD_<ROLE> or .cache/secrets/db-<role>)',
  );
}

// `owner` owns the schema and runs the migrations; `role` is what the service runs as. They differ
// for the audit store: its runtime role may only INSERT and SELECT (append-only by privilege).
const SERVICES = [
  { service: 'auth-gateway', role: 'vigil_gateway', schema: 'gateway' },
  {
    service: 'audit-writer',
    role: 'vigil_audit_writer',
    schema: 'audit',
    owner: 'vigil_audit_owner',
    group: 'vigil_audit_ingest',
  },
  { service: 'security-monitor', role: 'vigil_security_monitor', schema: 'monitor' },
  { service: 'retention-worker', role: 'vigil_retention', schema: 'retention' },
];

// Backups (retention-worker's pg_dump, BACKUP_DATABASE_URL): a login role that reads everything
// through the predefined pg_read_all_data and can change nothing.
const BACKUP_ROLE = 'vigil_backup';

// Grafana's SQL panels (deploy/grafana): a login role that may only read the audit store and the
// retention worker's runs and backups (never the gateway's users or credentials), read-only even
// where a grant would allow more.
const GRAFANA_ROLE = 'vigil_grafana';

const ident = (s) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new Error(`unsafe identifier: ${s}`);
  return `"${s}"`;
};
const literal = (s) => `'${String(s).replace(/'/g, "''")}'`;

async function main() {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${ident(database)}`);
      console.error(`[db] created database ${database}`);
    }
    const logins = [
      ...SERVICES.flatMap((s) => [s.role, ...(s.owner ? [s.owner] : [])]),
      BACKUP_ROLE,
      GRAFANA_ROLE,
    ];
    // Resolve every password before changing anything: a missing one in production names itself.
    const passwords = new Map(logins.map((role) => [role, rolePassword(role)]));
    for (const role of logins) {
      const r = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      // Roles are cluster-wide: two checkouts preparing databases on one server share them, and
      // the last set-up's secrets win (point both at one VIGIL_SECRETS_DIR to share).
      const verb = r.rowCount === 0 ? 'CREATE' : 'ALTER';
      await admin.query(
        `${verb} ROLE ${ident(role)} LOGIN PASSWORD ${literal(passwords.get(role))} NOSUPERUSER NOCREATEDB NOCREATEROLE`,
      );
    }
    for (const group of ['vigil_operator', ...SERVICES.filter((s) => s.group).map((s) => s.group)]) {
      const g = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [group]);
      if (g.rowCount === 0) await admin.query(`CREATE ROLE ${ident(group)} NOLOGIN`);
    }
    for (const { role, group } of SERVICES.filter((s) => s.group)) {
      await admin.query(`GRANT ${ident(group)} TO ${ident(role)}`);
    }
    await admin.query(`GRANT pg_read_all_data TO ${ident(BACKUP_ROLE)}`);
  } finally {
    await admin.end();
  }

  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await db.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
    for (const { role, schema, owner } of SERVICES) {
      const schemaOwner = owner ?? role;
      for (const r of new Set([role, schemaOwner])) {
        await db.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(r)}`);
        await db.query(
          `ALTER ROLE ${ident(r)} IN DATABASE ${ident(database)} SET search_path = ${ident(schema)}, public`,
        );
      }
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)} AUTHORIZATION ${ident(schemaOwner)}`);
      await db.query(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(schemaOwner)}`);
    }
    await db.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(BACKUP_ROLE)}`);
    await db.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(GRAFANA_ROLE)}`);
    await db.query(`GRANT USAGE ON SCHEMA audit, retention TO ${ident(GRAFANA_ROLE)}`);
    // Tables the migrations made already, and those their owners make later (partitions included).
    for (const [schema, owner] of [
      ['audit', 'vigil_audit_owner'],
      ['retention', 'vigil_retention'],
    ]) {
      await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${ident(schema)} TO ${ident(GRAFANA_ROLE)}`);
      await db.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA ${ident(schema)} GRANT SELECT ON TABLES TO ${ident(GRAFANA_ROLE)}`,
      );
    }
    await db.query(
      `ALTER ROLE ${ident(GRAFANA_ROLE)} IN DATABASE ${ident(database)} SET search_path = audit, retention`,
    );
    await db.query(`ALTER ROLE ${ident(GRAFANA_ROLE)} SET default_transaction_read_only = on`);
    // Operators run the seeds' SQL (users joined with audit_logs) through this role.
    await db.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO vigil_operator`);
    await db.query(
      `ALTER ROLE vigil_operator IN DATABASE ${ident(database)} SET search_path = gateway, audit, public`,
    );
    // Seed 001's SQL runs as written (`psql -d vigil -c "SELECT count(*) FROM audit_logs;"`) as
    // postgres and as any login role granted vigil_operator: a role's own settings are not inherited
    // by its members, so the default comes from the database. The services' roles set their own.
    await db.query(`ALTER DATABASE ${ident(database)} SET search_path = "$user", public, gateway, audit`);
    for (const s of ['gateway', 'audit'])
      await db.query(`GRANT USAGE ON SCHEMA ${ident(s)} TO vigil_operator`);
    // Restored archives (retention-worker) live apart from audit_logs; the audit API reads them.
    await db.query(`CREATE SCHEMA IF NOT EXISTS audit_restore AUTHORIZATION vigil_retention`);
    await db.query(`GRANT USAGE ON SCHEMA audit_restore TO vigil_audit_ingest, vigil_operator`);
    await db.query(
      `ALTER DEFAULT PRIVILEGES FOR ROLE vigil_retention IN SCHEMA audit_restore GRANT SELECT ON TABLES TO vigil_audit_ingest, vigil_operator`,
    );
  } finally {
    await db.end();
  }

  const host = `${url.hostname}:${url.port || 5432}`;
  for (const { service, role, owner } of SERVICES) {
    console.error(
      `[db] ${service}: postgres://${role}:***@${host}/${database}${owner ? ` (migrations: ${owner})` : ''}`,
    );
  }
  console.error(
    `[db] backups (BACKUP_DATABASE_URL): postgres://${BACKUP_ROLE}:***@${host}/${database} (pg_read_all_data)`,
  );
  console.error(`[db] grafana (read-only SQL panels): postgres://${GRAFANA_ROLE}:***@${host}/${database}`);
}

main().catch((err) => {
  console.error(`[db] set-up failed: ${err.message}`);
  process.exit(1);
});
