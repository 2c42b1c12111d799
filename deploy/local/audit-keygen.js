#!/usr/bin/env node
// Creates the audit-writer's Ed25519 checkpoint signing key, if the directory has none yet:
//   node deploy/local/audit-keygen.js <dir> [--rotate] [--owner UID:GID]
// writes <dir>/signing.key.pem (mode 0600) and <dir>/public/<fingerprint>.pub.pem. With --rotate
// the old private key is replaced but its public key stays, so old checkpoints still verify.
// Point the writer at it with AUDIT_SIGNING_KEY_FILE=<dir>/signing.key.pem AUDIT_KEY_DIR=<dir>/public.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--') && !/^\d+:\d+$/.test(a));
if (!dir) {
  console.error('usage: audit-keygen.js <dir> [--rotate] [--owner UID:GID]');
  process.exit(2);
}
const rotate = args.includes('--rotate');
const ownerArg = args[args.indexOf('--owner') + 1];
const owner = args.includes('--owner') && /^\d+:\d+$/.test(ownerArg) ? ownerArg.split(':').map(Number) : undefined;

const keyFile = path.join(dir, 'signing.key.pem');
const pubDir = path.join(dir, 'public');
fs.mkdirSync(pubDir, { recursive: true, mode: 0o700 });

const fingerprint = (pub) => crypto.createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);

if (fs.existsSync(keyFile) && !rotate) {
  console.error(`[keys] ${keyFile} exists (fingerprint ${fingerprint(crypto.createPublicKey(fs.readFileSync(keyFile)))}); nothing to do`);
} else {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const tmp = `${keyFile}.tmp`;
  fs.writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.renameSync(tmp, keyFile);
  const fp = fingerprint(publicKey);
  fs.writeFileSync(path.join(pubDir, `${fp}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  console.error(`[keys] ${rotate ? 'rotated to' : 'created'} checkpoint signing key ${fp}`);
}
if (owner) {
  for (const p of [dir, pubDir, keyFile, ...fs.readdirSync(pubDir).map((f) => path.join(pubDir, f))]) fs.chownSync(p, owner[0], owner[1]);
}
