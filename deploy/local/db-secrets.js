// One password per database login role, for the local scripts (db-setup, start-all, db-migrate).
//
//   VIGIL_DB_PASSWORD_<ROLE>   the role's password (ROLE upper-cased: VIGIL_DB_PASSWORD_VIGIL_GATEWAY),
//                              or VIGIL_DB_PASSWORD_<ROLE>_FILE naming a file that holds it
//   VIGIL_SECRETS_DIR          where the files live (default .cache/secrets; mode 0700, files 0600)
//
// Outside production a missing password is made once (24 random bytes, URL-safe) and kept in
// $VIGIL_SECRETS_DIR/db-<role>; with NODE_ENV=production nothing is made up: a missing password
// is an error naming both places to put it.
//
//   node deploy/local/db-secrets.js url <role> <host:port> <database>   prints a connection URL
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.resolve(__dirname, '../..');

function secretsDir() {
  return path.resolve(ROOT, process.env.VIGIL_SECRETS_DIR || '.cache/secrets');
}

function variableOf(role) {
  return `VIGIL_DB_PASSWORD_${role.toUpperCase()}`;
}

function rolePassword(role) {
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`unsafe role name: ${role}`);
  const fromEnv = process.env[variableOf(role)];
  if (fromEnv && fromEnv.trim()) return fromEnv.trim();
  const fromFile = process.env[`${variableOf(role)}_FILE`];
  if (fromFile && fromFile.trim()) return fs.readFileSync(fromFile.trim(), 'utf8').trim();
  const file = path.join(secretsDir(), `db-${role}`);
  if (fs.existsSync(file)) {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (value) return value;
  }
  if (process.env.NODE_ENV === 'production') {
    throw new Error(
      `no password for database role ${role}: set ${variableOf(role)} or write it to ${file} (nothing is defaulted in production)`,
    );
  }
  fs.mkdirSync(secretsDir(), { recursive: true, mode: 0o700 });
  const value = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

function roleUrl(role, hostPort, database) {
  return `postgres://${role}:${encodeURIComponent(rolePassword(role))}@${hostPort}/${database}`;
}

module.exports = { rolePassword, roleUrl, variableOf, secretsDir };

if (require.main === module) {
  const [cmd, role, hostPort, database] = process.argv.slice(2);
  if (cmd !== 'url' || !role || !hostPort || !database) {
    console.error('usage: db-secrets.js url <role> <host:port> <database>');
    process.exit(2);
  }
  try {
    process.stdout.write(`${roleUrl(role, hostPort, database)}\n`);
  } catch (err) {
    console.error(`[db] ${err.message}`);
    process.exit(1);
  }
}
