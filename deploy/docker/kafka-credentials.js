#!/usr/bin/env node
// One-shot (compose `kafka-credentials`): a random SCRAM password per Kafka principal, drawn once
// into <dir>/<principal>/password (mode 0400, owner --owner uid:gid), so each service mounts only
// its own subdirectory. Existing passwords are kept (the broker's storage was formatted with them).
//   node deploy/docker/kafka-credentials.js /secrets --owner 1000:1000
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');

const PRINCIPALS = [
  'vigil-broker',
  'vigil-admin',
  'vigil-gateway',
  'vigil-audit',
  'vigil-monitor',
  'vigil-retention',
];
const [dir, flag, owner] = process.argv.slice(2);
if (!dir || (flag && flag !== '--owner')) {
  console.error('usage: kafka-credentials.js <dir> [--owner uid:gid]');
  process.exit(2);
}
const [uid, gid] = (owner ?? '').split(':').map(Number);
for (const p of PRINCIPALS) {
  const sub = path.join(dir, p);
  const file = path.join(sub, 'password');
  fs.mkdirSync(sub, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o400 });
  if (owner) {
    fs.chownSync(sub, uid, gid);
    fs.chownSync(file, uid, gid);
  }
}
console.error(`[kafka] credentials ready for ${PRINCIPALS.join(', ')}`);
