import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keyFingerprint } from '@vigil/chain';

/**
 * Checkpoint keys never live in the database (whoever can rewrite the chain could then re-sign
 * it). The signing key comes from AUDIT_SIGNING_KEY_FILE; every public key ever used is kept in the
 * key directory as `<fingerprint>.pub.pem`, so old checkpoints still verify after a rotation.
 */
export function loadSigningKeyPem(opts: { keyFile?: string; keyDir: string; production: boolean }): string {
  if (opts.keyFile) {
    const pem = readFileSync(opts.keyFile, 'utf8');
    rememberPublicKey(opts.keyDir, pem);
    return pem;
  }
  if (opts.production)
    throw new Error('AUDIT_SIGNING_KEY_FILE is required in production (an Ed25519 private key, PEM)');
  const devKey = path.join(opts.keyDir, 'development-signing.key.pem');
  if (!existsSync(devKey)) {
    mkdirSync(opts.keyDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(devKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  const pem = readFileSync(devKey, 'utf8');
  rememberPublicKey(opts.keyDir, pem);
  return pem;
}

function rememberPublicKey(dir: string, privatePem: string): void {
  const pub = createPublicKey(privatePem);
  const file = path.join(dir, `${keyFingerprint(pub)}.pub.pem`);
  if (existsSync(file)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, pub.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
}

/** Fingerprint → public key, for every `*.pub.pem` in the directory. */
export function loadKeyring(dir: string): Map<string, KeyObject> {
  const ring = new Map<string, KeyObject>();
  if (!existsSync(dir)) return ring;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.pub.pem'))) {
    const key = createPublicKey(readFileSync(path.join(dir, f), 'utf8'));
    ring.set(keyFingerprint(key), key);
  }
  return ring;
}
