/**
 * Keys for signed security actions in tests (issue 14 item 2): a monitor key pair on disk laid out
 * as the monitor and the gateway read it (`signing.key.pem`, `public/<kid>.pub.pem`), and a helper
 * that signs a SECURITY_ACTION as the monitor does. One pair per test process, made on first use.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionKeyId, signSecurityAction, type EventOf } from '@vigil/contracts';

export interface ActionKeys {
  /** MONITOR_ACTION_KEY_DIR */
  dir: string;
  /** MONITOR_ACTION_SIGNING_KEY_FILE */
  keyFile: string;
  /** SECURITY_ACTION_PUBLIC_KEYS */
  publicDir: string;
  privateKey: KeyObject;
  kid: string;
  sign(
    event: EventOf<'SECURITY_ACTION'>,
    opts?: { validitySeconds?: number; now?: Date },
  ): EventOf<'SECURITY_ACTION'>;
}

/** A fresh key pair in its own temporary directory (e.g. a second, untrusted "monitor"). */
export function makeActionKeys(): ActionKeys {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-action-keys-'));
  const publicDir = path.join(dir, 'public');
  mkdirSync(publicDir);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = actionKeyId(publicKey);
  const keyFile = path.join(dir, 'signing.key.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(path.join(publicDir, `${kid}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    keyFile,
    publicDir,
    privateKey,
    kid,
    sign: (event, opts = {}) =>
      signSecurityAction(event, privateKey, { validitySeconds: opts.validitySeconds ?? 300, now: opts.now }),
  };
}

let shared: ActionKeys | undefined;

/** The test process's monitor key: the gateway test support trusts it, the monitor support signs with it. */
export function testActionKeys(): ActionKeys {
  shared ??= makeActionKeys();
  return shared;
}
