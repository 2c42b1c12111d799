#!/usr/bin/env node
// Prepares PostgreSQL for Vigil: one database, one schema and one login role per service, and a
// NOLOGIN `vigil_operator` role for runbook SQL that joins users and audit_logs. Idempotent.
// Tables come from each service's TypeORM migrations, run by the service as its own role.
//
//   DATABASE_ADMIN_URL  superuser connection   (default postgres://postgres@127.0.0.1:5432/postgres)
//   VIGIL_DB            database name          (default vigil)
//   VIGIL_DB_PASSWORD   password for the service roles (default: a development-only value)
'use strict';
const { Client } = require('pg');

const adminUrl = process.env.DATABASE_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const database = process.env.VIGIL_DB || 'vigil';
const password = process.env.VIGIL_DB_PASSWORD || 'vigil-dev-only';

const SERVICES = [
  { service: 'auth-gateway', role: 'vigil_gateway', schema: 'gateway' },
  { service: 'audit-writer', role: 'vigil_audit_writer', schema: 'audit' },
  { service: 'security-monitor', role: 'vigil_security_monitor', schema: 'monitor' },
  { service: 'retention-worker', role: 'vigil_retention', schema: 'retention' },
];

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
    for (const { role } of SERVICES) {
      const r = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      // Roles are cluster-wide: reset an existing role's password only when one is given
      // explicitly, so preparing a test database does not change a running stack's credentials.
      if (r.rowCount === 0) {
        await admin.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD ${literal(password)} NOSUPERUSER NOCREATEDB NOCREATEROLE`);
      } else if (process.env.VIGIL_DB_PASSWORD) {
        await admin.query(`ALTER ROLE ${ident(role)} LOGIN PASSWORD ${literal(password)}`);
      }
    }
    const op = await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = 'vigil_operator'`);
    if (op.rowCount === 0) await admin.query('CREATE ROLE vigil_operator NOLOGIN');
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
    for (const { role, schema } of SERVICES) {
      await db.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(role)}`);
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)} AUTHORIZATION ${ident(role)}`);
      await db.query(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(role)}`);
      await db.query(`ALTER ROLE ${ident(role)} IN DATABASE ${ident(database)} SET search_path = ${ident(schema)}, public`);
    }
    // Operators run the seeds' SQL (users joined with audit_logs) through this role.
    await db.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO vigil_operator`);
    await db.query(`ALTER ROLE vigil_operator IN DATABASE ${ident(database)} SET search_path = gateway, audit, public`);
    for (const s of ['gateway', 'audit']) await db.query(`GRANT USAGE ON SCHEMA ${ident(s)} TO vigil_operator`);
  } finally {
    await db.end();
  }

  const host = `${url.hostname}:${url.port || 5432}`;
  for (const { service, role } of SERVICES) {
    console.error(`[db] ${service}: postgres://${role}:***@${host}/${database}`);
  }
}

main().catch((err) => {
  console.error(`[db] set-up failed: ${err.message}`);
  process.exit(1);
});
