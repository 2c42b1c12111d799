// Seed 000-18 (issue 19 item 1): the gateway's password-fingerprint key is required in production,
// and a key file that is missing or shorter than 32 bytes stops the process at start as a
// configuration error (exit 78, EX_CONFIG) naming PASSWORD_FINGERPRINT_KEY_FILE, never its content.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsonLines, spawnService } from '../support/processes';

/** Every other production variable given, so the fingerprint key is the one thing in question. */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://gw:placeholder@127.0.0.1:1/vigil',
  KAFKA_BROKERS: '127.0.0.1:1',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_USERNAME: 'vigil-gateway',
  KAFKA_PASSWORD: 'placeholder',
  SIGNING_KEYS_DIR: '/nonexistent/keys',
  SECURITY_ACTION_PUBLIC_KEYS: '/nonexistent/monitor-keys',
};

async function refusal(
  env: Record<string, string>,
): Promise<{ code: number | null; problems: string[]; out: string }> {
  const p = spawnService('auth-gateway', env);
  const { code } = await p.exited;
  const line = jsonLines(p.output()).find((l) => l.message === 'refusing to start: invalid configuration');
  return { code, problems: (line?.problems as string[]) ?? [], out: p.output() };
}

describe('seed 000-18: PASSWORD_FINGERPRINT_KEY_FILE at start', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-fp-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('production without it: exit 78 naming PASSWORD_FINGERPRINT_KEY_FILE', async () => {
    const r = await refusal(PRODUCTION);
    expect(r.code).toBe(78);
    expect(r.problems).toEqual([
      expect.stringMatching(/^PASSWORD_FINGERPRINT_KEY_FILE is required in production/),
    ]);
  });

  it('a key file shorter than 32 bytes, or one that does not exist: exit 78 naming the variable, not the content', async () => {
    const short = path.join(dir, 'short.key');
    const content = 'Too-Short-Secret-Value-31-bytes';
    writeFileSync(short, `${content}\n`, { mode: 0o600 });
    const [tooShort, missing] = await Promise.all([
      refusal({ ...PRODUCTION, PASSWORD_FINGERPRINT_KEY_FILE: short }),
      refusal({ ...PRODUCTION, PASSWORD_FINGERPRINT_KEY_FILE: path.join(dir, 'absent.key') }),
    ]);
    expect(tooShort.code).toBe(78);
    expect(tooShort.problems).toEqual([
      expect.stringMatching(
        /^PASSWORD_FINGERPRINT_KEY_FILE must hold a secret of at least 32 bytes .* has 31\)$/,
      ),
    ]);
    expect(tooShort.out).not.toContain(content);
    expect(missing.code).toBe(78);
    expect(missing.problems).toEqual([
      expect.stringMatching(/^PASSWORD_FINGERPRINT_KEY_FILE cannot be read \(ENOENT/),
    ]);
  });
});
