#!/usr/bin/env node
// Creates a random shared secret in a file, if the file does not exist yet:
//   node deploy/local/secret-keygen.js <file> [--bytes N] [--rotate] [--owner UID:GID]
// writes N (default 48, at least 32) random bytes, base64, one line, mode 0400 (0600 without
// --owner). Never prints the secret. The auth-gateway's password-fingerprint master secret
// (issue 19 item 1): PASSWORD_FINGERPRINT_KEY_FILE=<file> on every gateway instance, the same file.
// --rotate replaces it: every gateway must restart on the new one together (fingerprints of the
// old secret then match nothing, as after a rotation period).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const args = process.argv.slice(2);
const valueOf = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const flagValues = new Set(['--bytes', '--owner'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
const file = args.find((a, i) => !a.startsWith('--') && !flagValues.has(i));
const bytes = Number(valueOf('--bytes') ?? 48);
const ownerArg = valueOf('--owner');
const owner = ownerArg && /^\d+:\d+$/.test(ownerArg) ? ownerArg.split(':').map(Number) : undefined;
if (!file || !Number.isInteger(bytes) || bytes < 32 || bytes > 1024 || (ownerArg && !owner)) {
  console.error(
    'usage: secret-keygen.js <file> [--bytes N (32..1024, default 48)] [--rotate] [--owner UID:GID]',
  );
  process.exit(2);
}

fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
if (fs.existsSync(file) && !args.includes('--rotate')) {
  console.error(`[keys] ${file} exists; nothing to do`);
} else {
  const tmp = `${file}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, `${crypto.randomBytes(bytes).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
  console.error(
    `[keys] ${args.includes('--rotate') ? 'replaced' : 'created'} a ${bytes}-byte secret in ${file}`,
  );
}
if (owner) {
  fs.chmodSync(file, 0o400); // while root owns it: no CAP_FOWNER needed
  fs.chownSync(file, owner[0], owner[1]);
}
