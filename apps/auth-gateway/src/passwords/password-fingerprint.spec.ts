import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@vigil/config';
import { PASSWORD_FINGERPRINT } from '@vigil/contracts';
import {
  assertFingerprintKey,
  developmentFingerprintKeyFile,
  fingerprinterFor,
  NO_FINGERPRINTS,
  PasswordFingerprinter,
  readFingerprintKey,
} from './password-fingerprint';

const MASTER = Buffer.from('0123456789abcdef0123456789abcdef-a-shared-secret');
const DAY = 86_400;
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

function fingerprinter(at = T0, master = MASTER, rotationSeconds = DAY) {
  let now = at;
  const f = new PasswordFingerprinter(master, { rotationSeconds, now: () => now });
  return { f, move: (ms: number) => (now += ms) };
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('seed 000-18: keyed fingerprints of wrong passwords', () => {
  it('is <epoch>.<22 base64url>, the contract pattern, epoch = floor(now / rotation)', () => {
    const fp = fingerprinter().f.fingerprint('Winter2026!')!;
    expect(fp).toMatch(PASSWORD_FINGERPRINT);
    expect(fp.split('.')[0]).toBe(String(Math.floor(T0 / 1000 / DAY)));
    expect(Buffer.from(fp.split('.')[1], 'base64url')).toHaveLength(16);
  });

  it('the same wrong password gives the same fingerprint within an epoch, whoever it is tried on, on every instance', () => {
    const a = fingerprinter();
    const b = fingerprinter(T0 + 3_600_000, Buffer.from(MASTER)); // another instance, an hour later, same day
    expect(a.f.fingerprint('Winter2026!')).toBe(b.f.fingerprint('Winter2026!'));
  });

  it('a different password gives a different fingerprint (one character, case)', () => {
    const { f } = fingerprinter();
    const seen = new Set(
      ['Winter2026!', 'Winter2026?', 'winter2026!', 'Winter2026! '].map((p) => f.fingerprint(p)),
    );
    expect(seen.size).toBe(4);
  });

  it('a new epoch gives a new value for the same password (not comparable across rotations)', () => {
    const { f, move } = fingerprinter();
    const before = f.fingerprint('Winter2026!')!;
    move(DAY * 1000);
    const after = f.fingerprint('Winter2026!')!;
    expect(after.split('.')[0]).toBe(String(Number(before.split('.')[0]) + 1));
    expect(after.split('.')[1]).not.toBe(before.split('.')[1]);
    // The rotation period is the configured one: an hour's rotation moves within the day.
    const hourly = fingerprinter(T0, MASTER, 3600);
    const h1 = hourly.f.fingerprint('Winter2026!');
    hourly.move(3_600_000);
    expect(hourly.f.fingerprint('Winter2026!')).not.toBe(h1);
  });

  it('another master secret gives unrelated fingerprints', () => {
    const other = Buffer.from('another-secret-of-enough-length-0123456789');
    expect(fingerprinter(T0, other).f.fingerprint('Winter2026!')).not.toBe(
      fingerprinter().f.fingerprint('Winter2026!'),
    );
  });

  it('normalises to NFC: the composed and decomposed spellings of a password are one password', () => {
    const { f } = fingerprinter();
    expect(f.fingerprint('Caf\u00e9-Cr\u00e8me-2026')).toBe(f.fingerprint('Cafe\u0301-Cre\u0300me-2026'));
  });

  it('is not a plain hash of the password, and carries no part of it', () => {
    const { f } = fingerprinter();
    const fp = f.fingerprint('Winter2026!')!;
    expect(fp).not.toContain('Winter');
    const plain = createHash('sha256').update('Winter2026!').digest().subarray(0, 16).toString('base64url');
    expect(fp.split('.')[1]).not.toBe(plain);
  });

  it('gives nothing for an empty password, and nothing when switched off', () => {
    expect(fingerprinter().f.fingerprint('')).toBeUndefined();
    expect(NO_FINGERPRINTS.fingerprint('Winter2026!')).toBeUndefined();
    expect(
      fingerprinterFor({
        nodeEnv: 'production',
        passwordFingerprintEnabled: false,
        passwordFingerprintRotationSeconds: DAY,
      }),
    ).toBe(NO_FINGERPRINTS);
  });

  it('refuses a master secret shorter than 32 bytes', () => {
    expect(() => new PasswordFingerprinter(Buffer.alloc(31, 1), { rotationSeconds: DAY })).toThrow(
      /32 bytes/,
    );
  });
});

describe('PASSWORD_FINGERPRINT_KEY_FILE', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-fp-key-'));
  const file = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };

  it('reads the bytes, one trailing newline dropped (a file from openssl and a Secret from a literal agree)', () => {
    const secret = 'q'.repeat(40);
    expect(readFingerprintKey(file('nl', `${secret}\n`))).toEqual(Buffer.from(secret));
    expect(readFingerprintKey(file('crlf', `${secret}\r\n`))).toEqual(Buffer.from(secret));
    expect(readFingerprintKey(file('bare', secret))).toEqual(Buffer.from(secret));
  });

  it('a missing or short file is a configuration error naming the variable, never the content', () => {
    const short = 'Short-Secret-Value-29-bytes!!';
    expect(problemsOf(() => readFingerprintKey(file('short', `${short}\n`)))).toEqual([
      expect.stringMatching(/^PASSWORD_FINGERPRINT_KEY_FILE must hold a secret of at least 32 bytes/),
    ]);
    expect(problemsOf(() => readFingerprintKey(file('short2', `${short}\n`))).join()).not.toContain(short);
    expect(problemsOf(() => readFingerprintKey(path.join(dir, 'absent')))).toEqual([
      expect.stringMatching(/^PASSWORD_FINGERPRINT_KEY_FILE cannot be read \(ENOENT/),
    ]);
    const config = { passwordFingerprintEnabled: true, passwordFingerprintKeyFile: path.join(dir, 'absent') };
    expect(problemsOf(() => assertFingerprintKey(config)).join()).toMatch(/PASSWORD_FINGERPRINT_KEY_FILE/);
    expect(assertFingerprintKey({ ...config, passwordFingerprintEnabled: false })).toBeTruthy();
  });

  it('production without a key file: a configuration error naming PASSWORD_FINGERPRINT_KEY_FILE', () => {
    expect(
      problemsOf(() =>
        fingerprinterFor({
          nodeEnv: 'production',
          passwordFingerprintEnabled: true,
          passwordFingerprintRotationSeconds: DAY,
        }),
      ),
    ).toEqual(['PASSWORD_FINGERPRINT_KEY_FILE is required in production']);
  });

  it('instances reading the same file agree', () => {
    const shared = file('shared', 'a-secret-shared-by-every-gateway-instance\n');
    const c = {
      nodeEnv: 'production',
      passwordFingerprintEnabled: true,
      passwordFingerprintKeyFile: shared,
      passwordFingerprintRotationSeconds: DAY,
    };
    expect(fingerprinterFor(c).fingerprint('Winter2026!')).toBe(
      fingerprinterFor(c).fingerprint('Winter2026!'),
    );
  });

  it('outside production, a development key is made once (0600) and reused', () => {
    const devFile = path.join(dir, 'dev', 'development.key');
    developmentFingerprintKeyFile(devFile);
    const first = readFileSync(devFile);
    expect(statSync(devFile).mode & 0o777).toBe(0o600);
    expect(readFingerprintKey(devFile).length).toBeGreaterThanOrEqual(32);
    developmentFingerprintKeyFile(devFile);
    expect(readFileSync(devFile)).toEqual(first);
  });
});
