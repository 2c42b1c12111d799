import { createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@vigil/config';

/*
 * The failed password's keyed fingerprint (issue 19 item 1): lets the monitor see one wrong password
 * tried on many accounts (a distributed spray) without any service holding a password or a plain
 * hash of one. `<epoch>.<22 base64url>`: 16 bytes of HMAC-SHA256 over the NFC-normalised UTF-8
 * password, keyed by HKDF-SHA256(master, salt, info = epoch). Every gateway instance reads the same
 * master secret and the same clock, so they agree without talking to each other; a new epoch gives
 * a new key, so fingerprints of different epochs cannot be compared, and once an epoch's key is
 * gone (it is never stored: derived on use) nothing published under it can be tested against a guess.
 */

export const FINGERPRINT_KEY_VARIABLE = 'PASSWORD_FINGERPRINT_KEY_FILE';
/** HKDF salt: names the purpose and version, so the master secret yields no key usable elsewhere. */
export const FINGERPRINT_HKDF_SALT = 'vigil/password-fingerprint/v1';
export const FINGERPRINT_BYTES = 16;
export const MIN_FINGERPRINT_KEY_BYTES = 32;
/** Outside production, with no key file: a key made once here (mode 0600), like the other dev keys. */
export const DEV_FINGERPRINT_KEY_FILE = '.cache/keys/password-fingerprint/development.key';

/** What the login path asks for: the fingerprint of a wrong password, or undefined (switched off, empty). */
export interface PasswordFingerprints {
  fingerprint(password: string): string | undefined;
}

/** The Nest token of the gateway's PasswordFingerprints (passwords.module.ts). */
export const PASSWORD_FINGERPRINTS = Symbol('PASSWORD_FINGERPRINTS');

/** PASSWORD_FINGERPRINT_ENABLED=false: no fingerprint on any event. */
export const NO_FINGERPRINTS: PasswordFingerprints = { fingerprint: () => undefined };

export interface FingerprintOptions {
  rotationSeconds: number;
  /** Milliseconds since the epoch; tests move it across a rotation. */
  now?: () => number;
}

export class PasswordFingerprinter implements PasswordFingerprints {
  private readonly master: KeyObject;
  private readonly rotationSeconds: number;
  private readonly now: () => number;
  /** The current epoch's key and the one before (a request that straddles a rotation). */
  private readonly keys = new Map<number, KeyObject>();

  constructor(master: Buffer, opts: FingerprintOptions) {
    if (master.length < MIN_FINGERPRINT_KEY_BYTES)
      throw new Error(`a password fingerprint key needs at least ${MIN_FINGERPRINT_KEY_BYTES} bytes`);
    if (!Number.isInteger(opts.rotationSeconds) || opts.rotationSeconds < 1)
      throw new Error('the rotation period must be a positive number of seconds');
    this.master = createSecretKey(master); // a copy: the caller wipes its buffer
    this.rotationSeconds = opts.rotationSeconds;
    this.now = opts.now ?? Date.now;
  }

  /** The rotation period `atMs` falls in: floor(seconds since 1970 / rotation seconds). */
  epochAt(atMs: number): number {
    return Math.floor(atMs / 1000 / this.rotationSeconds);
  }

  /** `<epoch>.<value>` of `password` now; undefined for an empty password (nothing was tried). */
  fingerprint(password: string): string | undefined {
    if (password.length === 0) return undefined;
    const epoch = this.epochAt(this.now());
    const mac = createHmac('sha256', this.keyOf(epoch))
      .update(Buffer.from(password.normalize('NFC'), 'utf8'))
      .digest();
    return `${epoch}.${mac.subarray(0, FINGERPRINT_BYTES).toString('base64url')}`;
  }

  private keyOf(epoch: number): KeyObject {
    let key = this.keys.get(epoch);
    if (key === undefined) {
      key = createSecretKey(
        Buffer.from(hkdfSync('sha256', this.master, FINGERPRINT_HKDF_SALT, String(epoch), 32)),
      );
      for (const old of this.keys.keys()) if (old < epoch - 1) this.keys.delete(old);
      this.keys.set(epoch, key);
    }
    return key;
  }
}

/**
 * The master secret: the file's bytes (one trailing newline dropped, so `openssl rand -base64 48 >
 * file` and a Secret made from a literal give the same key), at least 32 of them. Problems name
 * PASSWORD_FINGERPRINT_KEY_FILE, never the content.
 */
export function readFingerprintKey(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError([
      `${FINGERPRINT_KEY_VARIABLE} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${file})`,
    ]);
  }
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0a)
    bytes = bytes.subarray(0, bytes.length - (bytes.length > 1 && bytes[bytes.length - 2] === 0x0d ? 2 : 1));
  if (bytes.length < MIN_FINGERPRINT_KEY_BYTES)
    throw new ConfigError([
      `${FINGERPRINT_KEY_VARIABLE} must hold a secret of at least ${MIN_FINGERPRINT_KEY_BYTES} bytes (${file} has ${bytes.length})`,
    ]);
  return bytes;
}

/** The development key (outside production only): made once, 0600, shared by local instances. */
export function developmentFingerprintKeyFile(file = DEV_FINGERPRINT_KEY_FILE): string {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${randomBytes(48).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another instance made it first
    }
  }
  return file;
}

/**
 * The fingerprinter the configuration asks for: none when PASSWORD_FINGERPRINT_ENABLED=false;
 * otherwise keyed by PASSWORD_FINGERPRINT_KEY_FILE, or outside production by the development key.
 */
export function fingerprinterFor(config: {
  nodeEnv: string;
  passwordFingerprintEnabled: boolean;
  passwordFingerprintKeyFile?: string;
  passwordFingerprintRotationSeconds: number;
}): PasswordFingerprints {
  if (!config.passwordFingerprintEnabled) return NO_FINGERPRINTS;
  let file = config.passwordFingerprintKeyFile;
  if (file === undefined) {
    if (config.nodeEnv === 'production')
      throw new ConfigError([`${FINGERPRINT_KEY_VARIABLE} is required in production`]);
    file = developmentFingerprintKeyFile();
  }
  const master = readFingerprintKey(file);
  try {
    return new PasswordFingerprinter(master, { rotationSeconds: config.passwordFingerprintRotationSeconds });
  } finally {
    master.fill(0);
  }
}

/**
 * Start-up check (the service definition's loadConfig): an enabled fingerprint with a key file that
 * cannot be read or is too short refuses to start as a configuration error naming the variable.
 * The pure configuration (loadAuthGatewayConfig) checks only that production names a file.
 */
export function assertFingerprintKey<
  C extends { passwordFingerprintEnabled: boolean; passwordFingerprintKeyFile?: string },
>(config: C): C {
  if (config.passwordFingerprintEnabled && config.passwordFingerprintKeyFile !== undefined)
    readFingerprintKey(config.passwordFingerprintKeyFile).fill(0);
  return config;
}
