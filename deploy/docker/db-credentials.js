#!/usr/bin/env node
// One-shot (compose `db-credentials`): a random password per database login role, drawn once into
// <dir>/<role>/password, and the role's connection URL into <dir>/<role>/database-url (both mode
// 0400, owner --owner uid:gid), so each service mounts only its own subdirectory and reads
// DATABASE_URL_FILE (or DATABASE_MIGRATION_URL_FILE). Existing passwords are kept; db-setup applies
// them to the roles (VIGIL_DB_PASSWORD_<ROLE>_FILE).
//   node deploy/docker/db-credentials.js /secrets --owner 1000:1000   (VIGIL_DB_HOST, VIGIL_DB)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');

const ROLES = [
  'vigil_gateway',
  'vigil_audit_writer',
  'vigil_audit_owner',
  'vigil_security_monitor',
  'vigil_retention',
  'vigil_backup',
  'vigil_grafana',
];
// Grafana's image runs as uid 472 (gid 0): its role's files are handed to it, not to the services' uid.
const OWNER_OF = { vigil_grafana: '472:0' };
const [dir, flag, owner] = process.argv.slice(2);
if (!dir || (flag && flag !== '--owner')) {
  console.error('usage: db-credentials.js <dir> [--owner uid:gid]');
  process.exit(2);
}
const host = process.env.VIGIL_DB_HOST || 'postgres:5432';
const database = process.env.VIGIL_DB || 'vigil';
const ids = (role) => (OWNER_OF[role] ?? owner ?? '').split(':').map(Number);
const write = (file, text, role) => {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, text, { mode: 0o400 });
  if (owner) fs.chownSync(file, ...ids(role));
};
for (const role of ROLES) {
  const sub = path.join(dir, role);
  fs.mkdirSync(sub, { recursive: true, mode: 0o700 });
  if (owner) fs.chownSync(sub, ...ids(role));
  const passwordFile = path.join(sub, 'password');
  if (!fs.existsSync(passwordFile)) write(passwordFile, randomBytes(24).toString('base64url'), role);
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  write(
    path.join(sub, 'database-url'),
    `postgres://${role}:${encodeURIComponent(password)}@${host}/${database}`,
    role,
  );
}
console.error(`[db] credentials ready for ${ROLES.join(', ')}`);
