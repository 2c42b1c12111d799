import { ConfigError } from '@vigil/config';
import { apiDocsEnabled, loadAuthGatewayConfig } from './config';

function problems(env: Record<string, string>): string[] {
  try {
    loadAuthGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

// Production defaults no secret: the database URL and Kafka credentials must be given.
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://gw:pw@db/vigil',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_USERNAME: 'vigil-gateway',
  KAFKA_PASSWORD: 'pw',
};

describe('auth-gateway configuration', () => {
  it('defaults to OWASP Argon2id parameters, EdDSA and the seed lockout (more than 5 in 10 minutes)', () => {
    const c = loadAuthGatewayConfig({});
    expect([c.argon2MemoryKiB, c.argon2TimeCost, c.argon2Parallelism]).toEqual([19456, 2, 1]);
    expect(c.signingAlg).toBe('EdDSA');
    expect([c.lockoutThreshold, c.lockoutWindowSeconds]).toEqual([5, 600]);
    expect(c.authEventsTopic).toBe('auth.events.v1');
  });

  it('holds 20 PostgreSQL connections by default (refreshes are row-locked transactions), DB_POOL_MAX overrides', () => {
    expect(loadAuthGatewayConfig({}).dbPoolMax).toBe(20);
    expect(loadAuthGatewayConfig({ DB_POOL_MAX: '8' }).dbPoolMax).toBe(8);
  });

  it('trusts no proxy by default; TRUST_PROXY takes hops or CIDRs and a bad one is named', () => {
    expect(loadAuthGatewayConfig({}).trustProxy).toBe(false);
    expect(loadAuthGatewayConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadAuthGatewayConfig({ TRUST_PROXY: '10.0.0.0/8,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '::1',
    ]);
    expect(problems({ TRUST_PROXY: 'true' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY must be a hop count or a comma-separated list/),
    ]);
    expect(loadAuthGatewayConfig({}).knownIpDays).toBe(90);
    expect(problems({ LOCKOUT_KNOWN_IP_DAYS: '0' })).toEqual([
      expect.stringContaining('LOCKOUT_KNOWN_IP_DAYS'),
    ]);
  });

  it('names every bad variable', () => {
    const p = problems({
      ACCESS_TOKEN_TTL_SECONDS: '5',
      SIGNING_ALG: 'HS256',
      LOCKOUT_THRESHOLD: 'five',
      KAFKA_TOPIC_AUTH_EVENTS: 'bad topic',
    }).join('\n');
    for (const v of [
      'ACCESS_TOKEN_TTL_SECONDS',
      'SIGNING_ALG',
      'LOCKOUT_THRESHOLD',
      'KAFKA_TOPIC_AUTH_EVENTS',
    ])
      expect(p).toContain(v);
  });

  it('refuses weaker-than-OWASP hashing in production (tests may lower it)', () => {
    expect(
      problems({
        ...PRODUCTION,
        SIGNING_KEYS_DIR: '/etc/vigil/keys',
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_TIME_COST: '1',
        SECURITY_ACTION_PUBLIC_KEYS: '/etc/vigil/monitor-keys',
        PASSWORD_FINGERPRINT_KEY_FILE: '/etc/vigil/password-fingerprint/key',
      }),
    ).toEqual([
      'ARGON2_MEMORY_KIB must be >= 19456 in production',
      'ARGON2_TIME_COST must be >= 2 in production',
    ]);
    expect(problems({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '1024' })).toEqual([]);
  });

  it('issue 14 item 9: production names every secret and key location it lacks, at once', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual(
      expect.arrayContaining([
        'DATABASE_URL is required when NODE_ENV=production (its default is for development only)',
        'SIGNING_KEYS_DIR is required when NODE_ENV=production (its default is for development only)',
        expect.stringMatching(/^KAFKA_SASL_MECHANISM is required in production/),
      ]),
    );
  });

  it('seed 000-18: password fingerprints on by default, rotated daily; production names PASSWORD_FINGERPRINT_KEY_FILE unless they are off', () => {
    const c = loadAuthGatewayConfig({});
    expect([c.passwordFingerprintEnabled, c.passwordFingerprintRotationSeconds]).toEqual([true, 86400]);
    const production = { ...PRODUCTION, SIGNING_KEYS_DIR: '/k', SECURITY_ACTION_PUBLIC_KEYS: '/m' };
    expect(problems(production)).toEqual([
      expect.stringMatching(/^PASSWORD_FINGERPRINT_KEY_FILE is required in production/),
    ]);
    expect(
      problems({ ...production, PASSWORD_FINGERPRINT_KEY_FILE: '/etc/vigil/password-fingerprint/key' }),
    ).toEqual([]);
    expect(problems({ ...production, PASSWORD_FINGERPRINT_ENABLED: 'false' })).toEqual([]);
    const bad = problems({
      PASSWORD_FINGERPRINT_ROTATION_SECONDS: '30',
      PASSWORD_FINGERPRINT_ENABLED: 'sometimes',
    }).join('\n');
    expect(bad).toContain('PASSWORD_FINGERPRINT_ROTATION_SECONDS must be >= 60');
    expect(bad).toContain('PASSWORD_FINGERPRINT_ENABLED');
  });

  it('checks the bootstrap administrator password against the policy at start', () => {
    const env = { BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com' };
    expect(problems({ ...env, BOOTSTRAP_ADMIN_PASSWORD: 'password1234' })).toEqual([
      'BOOTSTRAP_ADMIN_PASSWORD fails the password policy (common)',
    ]);
    expect(problems({ ...env, BOOTSTRAP_ADMIN_PASSWORD: 'Tidal-Crayon-Ferment-88' })).toEqual([]);
  });

  it('wants the bootstrap administrator complete, and never echoes its password', () => {
    const p = problems({ BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: 'S3cret-Value-Here' });
    expect(p.join()).toContain('BOOTSTRAP_ADMIN_EMAIL');
    expect(p.join()).not.toContain('S3cret-Value-Here');
  });

  it("issue 14 item 2: production needs the monitor's public keys; the automation limits are validated", () => {
    expect(problems({ ...PRODUCTION, SIGNING_KEYS_DIR: '/etc/vigil/keys' })).toContain(
      "SECURITY_ACTION_PUBLIC_KEYS is required in production (the security monitor's Ed25519 public key file or directory)",
    );
    const c = loadAuthGatewayConfig({});
    expect([
      c.securityActionLockCapPerMinute,
      c.securityActionClockSkewSeconds,
      c.securityActionMaxValiditySeconds,
    ]).toEqual([10, 30, 900]);
    const p = problems({
      SECURITY_ACTION_LOCK_CAP_PER_MINUTE: '-1',
      SECURITY_ACTION_CLOCK_SKEW_SECONDS: 'soon',
      SECURITY_ACTION_MAX_VALIDITY_SECONDS: '999999',
    }).join('\n');
    for (const v of [
      'SECURITY_ACTION_LOCK_CAP_PER_MINUTE',
      'SECURITY_ACTION_CLOCK_SKEW_SECONDS',
      'SECURITY_ACTION_MAX_VALIDITY_SECONDS',
    ])
      expect(p).toContain(v);
  });

  it('serves the OpenAPI docs by default, not in production unless API_DOCS_ENABLED=true', () => {
    expect(apiDocsEnabled(loadAuthGatewayConfig({}))).toBe(true);
    expect(apiDocsEnabled({ nodeEnv: 'production', apiDocsEnabled: undefined })).toBe(false);
    expect(apiDocsEnabled({ nodeEnv: 'production', apiDocsEnabled: true })).toBe(true);
    expect(apiDocsEnabled(loadAuthGatewayConfig({ API_DOCS_ENABLED: 'false' }))).toBe(false);
    expect(problems({ API_DOCS_ENABLED: 'maybe' }).join()).toContain('API_DOCS_ENABLED');
  });
});
