#!/usr/bin/env node
// Creates an Ed25519 signing key, if the directory has none yet:
//   node deploy/local/audit-keygen.js <dir> [--rotate] [--owner UID:GID] [--public-dir <pubdir>]
// writes <dir>/signing.key.pem (mode 0600) and <pubdir>/<fingerprint>.pub.pem (default
// <dir>/public). With --rotate the old private key is replaced but its public key stays, so old
// signatures still verify (and, for actions, both keys are trusted during the switch).
// The audit-writer's checkpoint key: AUDIT_SIGNING_KEY_FILE=<dir>/signing.key.pem AUDIT_KEY_DIR=<dir>/public.
// The security monitor's action key (issue 14 item 2): MONITOR_ACTION_SIGNING_KEY_FILE=<dir>/signing.key.pem
// on the monitor, SECURITY_ACTION_PUBLIC_KEYS=<pubdir> on the gateway (the fingerprint is the kid).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const args = process.argv.slice(2);
const valueOf = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const flagValues = new Set(['--owner', '--public-dir'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
const dir = args.find((a, i) => !a.startsWith('--') && !flagValues.has(i));
if (!dir) {
  console.error('usage: audit-keygen.js <dir> [--rotate] [--owner UID:GID] [--public-dir <pubdir>]');
  process.exit(2);
}
const rotate = args.includes('--rotate');
const ownerArg = valueOf('--owner');
const owner = ownerArg && /^\d+:\d+$/.test(ownerArg) ? ownerArg.split(':').map(Number) : undefined;

const keyFile = path.join(dir, 'signing.key.pem');
const pubDir = valueOf('--public-dir') ?? path.join(dir, 'public');
fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
fs.mkdirSync(pubDir, { recursive: true, mode: 0o755 });

const fingerprint = (pub) =>
  crypto
    .createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 32);

if (fs.existsSync(keyFile) && !rotate) {
  console.error(
    `[keys] ${keyFile} exists (fingerprint ${fingerprint(crypto.createPublicKey(fs.readFileSync(keyFile)))}); nothing to do`,
  );
} else {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const tmp = `${keyFile}.tmp`;
  fs.writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.renameSync(tmp, keyFile);
  const fp = fingerprint(publicKey);
  fs.writeFileSync(path.join(pubDir, `${fp}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }), {
    mode: 0o644,
  });
  console.error(`[keys] ${rotate ? 'rotated to' : 'created'} signing key ${fp} in ${dir}`);
}
if (owner) {
  for (const p of [dir, pubDir, keyFile, ...fs.readdirSync(pubDir).map((f) => path.join(pubDir, f))])
    fs.chownSync(p, owner[0], owner[1]);
}
