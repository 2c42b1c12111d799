import {
  ConfigError,
  describeConfig,
  env,
  junkSchema,
  loadConfig,
  serviceSchema,
  type ConfigOf,
} from '@vigil/config';
import { Topics } from '@vigil/contracts';
import { oauthConfigProblems, oauthSchema } from './oauth/oauth.config';
import { checkPassword } from './passwords/password-policy';

export const SERVICE = 'auth-gateway';

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** OWASP's Argon2id floor (m=19 MiB, t=2, p=1): production refuses to start below it. */
export const ARGON2_OWASP_MIN = { memoryKiB: 19456, timeCost: 2, parallelism: 1 };

/** Every variable auth-gateway reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  // 20 connections: a refresh is a short row-locked transaction of four round trips, so its rate is
  // the pool over the transaction's latency; with 10 the gateway did at most 336 refreshes/s on a
  // 2-core host, with 20 it sustained 500/s (bench/results/auth-gateway.md).
  ...serviceSchema({ port: 3000, schema: 'gateway', groupId: 'vigil-auth-gateway', dbPoolMax: 20 }),

  // Topics (overridable so test runs and tenants do not share them)
  authEventsTopic: env.string('KAFKA_TOPIC_AUTH_EVENTS', { default: Topics.AUTH_EVENTS, pattern: TOPIC }),
  securityActionsTopic: env.string('KAFKA_TOPIC_SECURITY_ACTIONS', {
    default: Topics.SECURITY_ACTIONS,
    pattern: TOPIC,
  }),

  // Tokens
  jwtIssuer: env.string('JWT_ISSUER', { default: 'vigil-auth-gateway', maxLength: 200 }),
  jwtAudience: env.string('JWT_AUDIENCE', { default: 'vigil', maxLength: 200 }),
  accessTokenTtlSeconds: env.int('ACCESS_TOKEN_TTL_SECONDS', { default: 600, min: 30, max: 3600 }),
  refreshTokenTtlSeconds: env.int('REFRESH_TOKEN_TTL_SECONDS', {
    default: 14 * 86400,
    min: 60,
    max: 90 * 86400,
  }),
  sessionMaxSeconds: env.int('SESSION_MAX_SECONDS', { default: 30 * 86400, min: 60, max: 365 * 86400 }),
  refreshReuseGraceSeconds: env.int('REFRESH_REUSE_GRACE_SECONDS', { default: 10, min: 0, max: 300 }),

  // Signing keys: on disk (mode 0600), never in the database or a log line
  signingKeysDir: env.string('SIGNING_KEYS_DIR', { default: '.cache/auth-gateway-keys', devDefault: true }),
  signingAlg: env.oneOf('SIGNING_ALG', ['EdDSA', 'ES256'] as const, { default: 'EdDSA' }),
  signingKeyRotationDays: env.int('SIGNING_KEY_ROTATION_DAYS', { default: 30, min: 0, max: 3650 }),
  signingKeyPrepublishSeconds: env.int('SIGNING_KEY_PREPUBLISH_SECONDS', { default: 60, min: 0, max: 86400 }),

  // OAuth 2.0 clients, discovery base URL, further signing algorithms (issue 20; oauth/oauth.config.ts)
  ...oauthSchema,

  // Passwords
  argon2MemoryKiB: env.int('ARGON2_MEMORY_KIB', {
    default: ARGON2_OWASP_MIN.memoryKiB,
    min: 1024,
    max: 4 * 1024 * 1024,
  }),
  argon2TimeCost: env.int('ARGON2_TIME_COST', { default: ARGON2_OWASP_MIN.timeCost, min: 1, max: 20 }),
  argon2Parallelism: env.int('ARGON2_PARALLELISM', {
    default: ARGON2_OWASP_MIN.parallelism,
    min: 1,
    max: 16,
  }),
  passwordMinLength: env.int('PASSWORD_MIN_LENGTH', { default: 12, min: 8, max: 128 }),

  // Keyed fingerprints of wrong passwords on FAILED_AUTH_LOGIN, for cross-account spray detection
  // (issue 19 item 1; passwords/password-fingerprint.ts). The key file holds a secret of at least 32
  // bytes shared by every instance (required in production while enabled; elsewhere a development
  // key is made under .cache/keys); each rotation period derives its own key from it.
  passwordFingerprintEnabled: env.bool('PASSWORD_FINGERPRINT_ENABLED', { default: true }),
  passwordFingerprintKeyFile: env.string('PASSWORD_FINGERPRINT_KEY_FILE', {
    optional: true,
    maxLength: 1000,
  }),
  passwordFingerprintRotationSeconds: env.int('PASSWORD_FINGERPRINT_ROTATION_SECONDS', {
    default: 86_400,
    min: 60,
    max: 7 * 86_400,
  }),

  // Client address: TRUST_PROXY is every service's (serviceSchema); none trusted unless named (issue 14 item 6)

  // Throttling (seed defaults: more than 5 failures in 10 minutes start the account-wide wait)
  lockoutThreshold: env.int('LOCKOUT_THRESHOLD', { default: 5, min: 1, max: 1000 }),
  lockoutWindowSeconds: env.int('LOCKOUT_WINDOW_SECONDS', { default: 600, min: 10, max: 86400 }),
  lockoutBaseSeconds: env.int('LOCKOUT_BASE_SECONDS', { default: 300, min: 1, max: 86400 }),
  lockoutMaxSeconds: env.int('LOCKOUT_MAX_SECONDS', { default: 3600, min: 1, max: 7 * 86400 }),
  throttlePairFreeFailures: env.int('THROTTLE_ACCOUNT_IP_FREE_FAILURES', { default: 3, min: 1, max: 1000 }),
  throttlePairBaseSeconds: env.int('THROTTLE_ACCOUNT_IP_BASE_SECONDS', { default: 10, min: 1, max: 3600 }),
  throttleIpFreeFailures: env.int('THROTTLE_IP_FREE_FAILURES', { default: 20, min: 1, max: 100000 }),
  throttleIpBaseSeconds: env.int('THROTTLE_IP_BASE_SECONDS', { default: 30, min: 1, max: 3600 }),
  throttleMaxSeconds: env.int('THROTTLE_MAX_SECONDS', { default: 900, min: 1, max: 86400 }),
  /** An address (IPv6: its /64) the account logged in from within this many days skips the account-wide wait. */
  knownIpDays: env.int('LOCKOUT_KNOWN_IP_DAYS', { default: 90, min: 1, max: 3650 }),

  // Junk (refused tokens, blocked or throttled clients): per-client windows, throttle, tracking cap (issue 14 item 10)
  ...junkSchema(),

  // Security actions from the monitor
  securityActionDefaultTtlSeconds: env.int('SECURITY_ACTION_DEFAULT_TTL_SECONDS', {
    default: 3600,
    min: 1,
    max: 30 * 86400,
  }),
  /**
   * The monitor's Ed25519 public keys: a PEM file, or a directory of `*.pem` files (several keys are
   * trusted at once during a rotation; the kid is derived from each key). Required in production;
   * elsewhere the monitor's development key directory. Actions signed by any other key are refused.
   */
  securityActionPublicKeys: env.string('SECURITY_ACTION_PUBLIC_KEYS', { optional: true, maxLength: 1000 }),
  /** Tolerated difference between the monitor's clock and the gateway's when checking an action's validity. */
  securityActionClockSkewSeconds: env.int('SECURITY_ACTION_CLOCK_SKEW_SECONDS', {
    default: 30,
    min: 0,
    max: 600,
  }),
  /** Longest validity (expiresAt - issuedAt) a signed action may claim: bounds how long a captured one stays usable. */
  securityActionMaxValiditySeconds: env.int('SECURITY_ACTION_MAX_VALIDITY_SECONDS', {
    default: 900,
    min: 10,
    max: 86400,
  }),
  /** Accounts automation may lock per minute across all instances; beyond it LOCK_ACCOUNT is refused and a human is alerted. 0: never. */
  securityActionLockCapPerMinute: env.int('SECURITY_ACTION_LOCK_CAP_PER_MINUTE', {
    default: 10,
    min: 0,
    max: 10000,
  }),

  // Outbox relay
  outboxPollMs: env.int('OUTBOX_POLL_MS', { default: 250, min: 10, max: 60000 }),
  outboxBatchSize: env.int('OUTBOX_BATCH_SIZE', { default: 200, min: 1, max: 5000 }),
  outboxRetentionHours: env.int('OUTBOX_RETENTION_HOURS', { default: 72, min: 1, max: 24 * 365 }),

  // OpenAPI UI and JSON at /api/docs: on by default, off in production unless enabled (issue 14 item 9)
  apiDocsEnabled: env.bool('API_DOCS_ENABLED', { optional: true }),

  // First administrator, created at start when no admin exists (USER_CREATED is emitted)
  bootstrapAdminUsername: env.string('BOOTSTRAP_ADMIN_USERNAME', { optional: true, maxLength: 320 }),
  bootstrapAdminEmail: env.string('BOOTSTRAP_ADMIN_EMAIL', { optional: true, maxLength: 320 }),
  bootstrapAdminPassword: env.string('BOOTSTRAP_ADMIN_PASSWORD', {
    optional: true,
    secret: true,
    maxLength: 1024,
  }),
};

export type AuthGatewayConfig = ConfigOf<typeof schema>;

export const loadAuthGatewayConfig = (source = process.env): AuthGatewayConfig => {
  const config = loadConfig(schema, source);
  const problems: string[] = [];
  if (config.nodeEnv === 'production') {
    if (config.argon2MemoryKiB < ARGON2_OWASP_MIN.memoryKiB)
      problems.push(`ARGON2_MEMORY_KIB must be >= ${ARGON2_OWASP_MIN.memoryKiB} in production`);
    if (config.argon2TimeCost < ARGON2_OWASP_MIN.timeCost)
      problems.push(`ARGON2_TIME_COST must be >= ${ARGON2_OWASP_MIN.timeCost} in production`);
  }
  if (config.nodeEnv === 'production' && !config.securityActionPublicKeys) {
    problems.push(
      "SECURITY_ACTION_PUBLIC_KEYS is required in production (the security monitor's Ed25519 public key file or directory)",
    );
  }
  if (
    config.nodeEnv === 'production' &&
    config.passwordFingerprintEnabled &&
    !config.passwordFingerprintKeyFile
  ) {
    problems.push(
      'PASSWORD_FINGERPRINT_KEY_FILE is required in production (a file holding a secret of at least 32 bytes, the same for every gateway instance; PASSWORD_FINGERPRINT_ENABLED=false turns fingerprints off)',
    );
  }
  if (config.lockoutMaxSeconds < config.lockoutBaseSeconds)
    problems.push('LOCKOUT_MAX_SECONDS must be >= LOCKOUT_BASE_SECONDS');
  if (config.sessionMaxSeconds < config.refreshTokenTtlSeconds)
    problems.push('SESSION_MAX_SECONDS must be >= REFRESH_TOKEN_TTL_SECONDS');
  const admin = [config.bootstrapAdminUsername, config.bootstrapAdminEmail, config.bootstrapAdminPassword];
  if (admin.some((v) => v !== undefined) && admin.some((v) => v === undefined)) {
    problems.push('BOOTSTRAP_ADMIN_USERNAME, BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together');
  } else if (config.bootstrapAdminPassword !== undefined) {
    const weak = checkPassword(config.bootstrapAdminPassword, {
      minLength: config.passwordMinLength,
      username: config.bootstrapAdminUsername,
      email: config.bootstrapAdminEmail,
    });
    if (weak.length) problems.push(`BOOTSTRAP_ADMIN_PASSWORD fails the password policy (${weak.join(', ')})`);
  }
  problems.push(...oauthConfigProblems(config));
  if (problems.length) throw new ConfigError(problems);
  return config;
};
export const describeAuthGatewayConfig = (config: AuthGatewayConfig) => describeConfig(schema, config);

/** Whether /api/docs is served: API_DOCS_ENABLED when set, else everywhere but production. */
export function apiDocsEnabled(config: { apiDocsEnabled?: boolean; nodeEnv: string }): boolean {
  return config.apiDocsEnabled ?? config.nodeEnv !== 'production';
}
