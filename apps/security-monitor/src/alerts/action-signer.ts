import { Inject, Injectable } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { actionKeyId, signSecurityAction, type EventOf } from '@vigil/contracts';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';

/**
 * Signs every SECURITY_ACTION before it is published (issue 14 item 2), so the gateway can tell the
 * monitor's commands from anything else that reaches the topic. The key lives in a file, never in
 * the database: MONITOR_ACTION_SIGNING_KEY_FILE, or outside production a development key made in
 * MONITOR_ACTION_KEY_DIR. The public key in use is written to `<dir>/public/<kid>.pub.pem`, the
 * form the gateway's SECURITY_ACTION_PUBLIC_KEYS reads.
 */
@Injectable()
export class ActionSigner {
  readonly kid: string;
  private readonly key: KeyObject;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig) {
    this.key = loadActionSigningKey(config);
    this.kid = actionKeyId(this.key);
  }

  sign(event: EventOf<'SECURITY_ACTION'>): EventOf<'SECURITY_ACTION'> {
    return signSecurityAction(event, this.key, { validitySeconds: this.config.actionValiditySeconds });
  }
}

export function loadActionSigningKey(config: {
  actionSigningKeyFile?: string;
  actionKeyDir: string;
  nodeEnv: string;
}): KeyObject {
  let file = config.actionSigningKeyFile;
  if (!file) {
    if (config.nodeEnv === 'production')
      throw new Error('MONITOR_ACTION_SIGNING_KEY_FILE is required in production');
    file = path.join(config.actionKeyDir, 'development-signing.key.pem');
    if (!existsSync(file)) {
      mkdirSync(config.actionKeyDir, { recursive: true, mode: 0o700 });
      const { privateKey } = generateKeyPairSync('ed25519');
      try {
        writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another instance made it first
      }
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `MONITOR_ACTION_SIGNING_KEY_FILE: cannot read an Ed25519 private key (PEM) from ${file}: ${(err as Error).message}`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`MONITOR_ACTION_SIGNING_KEY_FILE: ${file} is not an Ed25519 key`);
  publishPublicKey(path.join(config.actionKeyDir, 'public'), key);
  return key;
}

function publishPublicKey(dir: string, key: KeyObject): void {
  const file = path.join(dir, `${actionKeyId(key)}.pub.pem`);
  if (existsSync(file)) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(file, createPublicKey(key).export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  } catch {
    // A read-only key directory (the key mounted from a secret store): the operator distributes the public key.
  }
}
