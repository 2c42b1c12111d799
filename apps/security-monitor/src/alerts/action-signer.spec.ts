import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionKeyId } from '@vigil/contracts';
import { loadSecurityMonitorConfig } from '../config';
import { loadActionSigningKey } from './action-signer';

describe('security-monitor action signing key (issue 14 item 2)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-monitor-key-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('outside production makes a development key once and publishes its public half as <kid>.pub.pem', () => {
    const first = loadActionSigningKey({ actionKeyDir: dir, nodeEnv: 'development' });
    const again = loadActionSigningKey({ actionKeyDir: dir, nodeEnv: 'development' });
    const kid = actionKeyId(first);
    expect(actionKeyId(again)).toBe(kid);
    const pub = createPublicKey(readFileSync(path.join(dir, 'public', `${kid}.pub.pem`), 'utf8'));
    expect(actionKeyId(pub)).toBe(kid);
  });

  it('reads MONITOR_ACTION_SIGNING_KEY_FILE, and names the variable when the file is missing or not Ed25519', () => {
    const keyFile = path.join(dir, 'signing.key.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(
      actionKeyId(
        loadActionSigningKey({ actionSigningKeyFile: keyFile, actionKeyDir: dir, nodeEnv: 'production' }),
      ),
    ).toBe(actionKeyId(privateKey));
    expect(() =>
      loadActionSigningKey({
        actionSigningKeyFile: path.join(dir, 'missing.pem'),
        actionKeyDir: dir,
        nodeEnv: 'production',
      }),
    ).toThrow(/MONITOR_ACTION_SIGNING_KEY_FILE/);
    const rsa = path.join(dir, 'rsa.pem');
    writeFileSync(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    expect(() =>
      loadActionSigningKey({ actionSigningKeyFile: rsa, actionKeyDir: dir, nodeEnv: 'production' }),
    ).toThrow(/MONITOR_ACTION_SIGNING_KEY_FILE: .* is not an Ed25519 key/);
  });

  it('production refuses to start without a key file; no development key is made', () => {
    expect(() =>
      loadSecurityMonitorConfig({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://vigil_security_monitor:pw@db/vigil',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_USERNAME: 'vigil-monitor',
        KAFKA_PASSWORD: 'pw',
        AUTH_JWKS_URL: 'http://127.0.0.1:3000/.well-known/jwks.json',
      }),
    ).toThrow(/MONITOR_ACTION_SIGNING_KEY_FILE is required in production/);
    expect(() => loadActionSigningKey({ actionKeyDir: dir, nodeEnv: 'production' })).toThrow(
      /MONITOR_ACTION_SIGNING_KEY_FILE/,
    );
    expect(existsSync(path.join(dir, 'development-signing.key.pem'))).toBe(false);
    expect(loadSecurityMonitorConfig({}).actionValiditySeconds).toBe(300);
  });
});
