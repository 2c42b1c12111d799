import fs from 'node:fs';
import path from 'node:path';
import { env, loadConfig, type Field } from './env';
import { trustProxyField } from './trust-proxy';

/** Variables every Vigil service reads; each app adds its own to this schema. */
export function serviceSchema(defaults: {
  port: number;
  schema: string;
  groupId?: string;
  kafkaUser?: string;
  /** DB_POOL_MAX when unset (10 unless the service says otherwise). */
  dbPoolMax?: number;
}) {
  return {
    nodeEnv: env.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, {
      default: 'development',
    }),
    logLevel: env.oneOf('LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, { default: 'info' }),
    httpHost: env.string('HTTP_HOST', { default: '0.0.0.0' }),
    httpPort: env.int('HTTP_PORT', { default: defaults.port, min: 1, max: 65535 }),
    /** Which proxies may tell the client's address (X-Forwarded-For); see trust-proxy.ts. */
    trustProxy: trustProxyField,
    /** Holds the service role's password: a secret, so its default applies outside production only (env.ts). */
    databaseUrl: env.url('DATABASE_URL', {
      default: 'postgres://postgres@127.0.0.1:5432/vigil',
      protocols: ['postgres', 'postgresql'],
      secret: true,
    }),
    dbSchema: env.string('DB_SCHEMA', { default: defaults.schema, pattern: /^[a-z_][a-z0-9_]{0,62}$/ }),
    dbPoolMax: env.int('DB_POOL_MAX', { default: defaults.dbPoolMax ?? 10, min: 1, max: 200 }),
    dbMigrateOnStart: env.bool('DB_MIGRATE_ON_START', { default: true }),
    kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
    /** The service's own Kafka principal (local default `vigil-<schema>`); see kafkaSecuritySchema. */
    ...kafkaSecuritySchema(defaults.kafkaUser ?? `vigil-${defaults.schema}`),
    kafkaClientId: env.string('KAFKA_CLIENT_ID', { default: `vigil-${defaults.schema}` }),
    kafkaGroupId: env.string('KAFKA_GROUP_ID', { default: defaults.groupId ?? `vigil-${defaults.schema}` }),
    /** How long the group waits for a silent member (e.g. killed) before rebalancing its partitions. */
    kafkaSessionTimeoutMs: env.int('KAFKA_SESSION_TIMEOUT_MS', { default: 30000, min: 6000, max: 300000 }),
    kafkaTopicPartitions: env.int('KAFKA_TOPIC_PARTITIONS', { default: 3, min: 1, max: 1000 }),
    kafkaReplicationFactor: env.int('KAFKA_REPLICATION_FACTOR', { default: 1, min: 1, max: 7 }),
    shutdownTimeoutMs: env.int('SHUTDOWN_TIMEOUT_MS', { default: 25000, min: 1000, max: 600000 }),
    /**
     * What this build is, for the DEPLOYMENT event it announces (seeds 002-15, 004-58): the image's
     * version (the Dockerfile's VIGIL_VERSION build argument; package.json's version by default)
     * and the commit it was built from (VIGIL_GIT_SHA; start-all.sh sets it from git).
     */
    release: env.string('VIGIL_VERSION', { default: packageVersion(), pattern: /^[0-9A-Za-z.+_-]{1,64}$/ }),
    gitSha: env.string('VIGIL_GIT_SHA', { optional: true, pattern: /^[0-9a-f]{7,40}$/ }),
    /** Announce DEPLOYMENT and SCHEMA_MIGRATION events at start (the test harness turns it off unless a test asks). */
    announceReleases: env.bool('VIGIL_ANNOUNCE_RELEASES', { default: true }),
    /** OpenAPI UI and JSON under the service's API prefix: on by default, off in production unless set (libs/runtime openapi.ts). */
    apiDocsEnabled: env.bool('API_DOCS_ENABLED', { optional: true }),
  };
}

/** The version in the repository's package.json (found upward from here), or 0.0.0-unknown. */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'vigil' && pkg.version) return pkg.version;
    } catch {
      /* no package.json here */
    }
    if (path.dirname(dir) === dir) return '0.0.0-unknown';
  }
}

/** For services that accept the gateway's access tokens: verified against its published keys. */
export function tokenVerifierSchema() {
  return {
    authJwksUrl: env.url('AUTH_JWKS_URL', {
      default: 'http://127.0.0.1:3000/.well-known/jwks.json',
      protocols: ['http', 'https'],
    }),
    authIssuer: env.string('AUTH_ISSUER', { default: 'vigil-auth-gateway', maxLength: 200 }),
    authAudience: env.string('AUTH_AUDIENCE', { default: 'vigil', maxLength: 200 }),
  };
}

/**
 * For services that refuse revoked tokens from the gateway's auth events (the deny-list of
 * @vigil/auth): which topic carries them (unset: the app's own default, auth.events.v1 or the
 * topic it already reads them from), and the longest token lifetime it must remember for (the
 * gateway's ACCESS_TOKEN_TTL_SECONDS may not exceed it; longer-lived tokens are refused).
 */
export function revocationSchema() {
  return {
    authEventsTopic: env.string('AUTH_EVENTS_TOPIC', { optional: true, pattern: /^[a-zA-Z0-9._-]{1,249}$/ }),
    authMaxTokenTtlSeconds: env.int('AUTH_MAX_TOKEN_TTL_SECONDS', { default: 3600, min: 30, max: 86_400 }),
  };
}

/** SASL mechanisms the Kafka clients speak (`none`: no authentication, refused in production unless allowed). */
export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain', 'none'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** What a Kafka client needs to authenticate (and, with `tls`, to trust the brokers). */
export interface KafkaSecurity {
  mechanism: KafkaSaslMechanism;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string };
}

type Source = Record<string, string | undefined>;

const isProduction = (source: Source) => (source.NODE_ENV ?? 'development').trim() === 'production';
const given = (source: Source, variable: string) => (source[variable] ?? '').trim() !== '';

/** Where deploy/local/kafka.sh keeps a principal's password (development and test only): KAFKA_SASL_DIR, else $KAFKA_HOME/sasl. */
export function localKafkaPasswordFile(user: string, source: Source = process.env): string {
  // The source first (KAFKA_SASL_DIR, then KAFKA_HOME), then the process environment.
  const dirIn = (env: Source) =>
    env.KAFKA_SASL_DIR?.trim() ||
    (env.KAFKA_HOME?.trim() ? path.join(env.KAFKA_HOME.trim(), 'sasl') : undefined);
  const dir = dirIn(source) ?? dirIn(process.env) ?? path.join('.cache/kafka', 'sasl');
  return path.join(dir, `${user}.password`);
}

function readPem(variable: string, file: string): { value?: string; problem?: string } {
  try {
    const pem = fs.readFileSync(file, 'utf8');
    return /-----BEGIN [A-Z ]+-----/.test(pem)
      ? { value: pem }
      : { problem: `${variable} (${file}) holds no PEM block` };
  } catch (err) {
    return {
      problem: `${variable} cannot be read (${file}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    };
  }
}

function mechanismOf(source: Source): string {
  return (source.KAFKA_SASL_MECHANISM ?? '').trim() || (isProduction(source) ? '' : 'scram-sha-512');
}

/**
 * KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD | KAFKA_PASSWORD_FILE, KAFKA_TLS,
 * KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE + KAFKA_TLS_KEY_FILE (mTLS). Outside production the
 * defaults are SCRAM-SHA-512 as `defaultUser` with the password deploy/local/kafka.sh made; in
 * production nothing is defaulted: the mechanism, user and password must be set, and `none` is
 * refused unless KAFKA_ALLOW_UNAUTHENTICATED=true.
 */
export function kafkaSecuritySchema(defaultUser: string) {
  const mechanism: Field<KafkaSaslMechanism> = {
    variable: 'KAFKA_SASL_MECHANISM',
    secret: false,
    read(source) {
      const raw = mechanismOf(source);
      if (!raw)
        return {
          problem:
            'KAFKA_SASL_MECHANISM is required in production (scram-sha-512, scram-sha-256, plain or none)',
        };
      if (!(KAFKA_SASL_MECHANISMS as readonly string[]).includes(raw))
        return {
          problem: `KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')} (got "${raw}")`,
        };
      if (
        raw === 'none' &&
        isProduction(source) &&
        !/^(true|1|yes|on)$/i.test(source.KAFKA_ALLOW_UNAUTHENTICATED?.trim() ?? '')
      ) {
        return {
          problem:
            'KAFKA_SASL_MECHANISM=none is refused in production unless KAFKA_ALLOW_UNAUTHENTICATED=true',
        };
      }
      return { value: raw as KafkaSaslMechanism };
    },
  };
  const username: Field<string | undefined> = {
    variable: 'KAFKA_USERNAME',
    secret: false,
    read(source) {
      if (mechanismOf(source) === 'none') return { value: undefined };
      const raw = source.KAFKA_USERNAME?.trim();
      if (raw)
        return raw.length > 255
          ? { problem: 'KAFKA_USERNAME must be at most 255 characters' }
          : { value: raw };
      return isProduction(source)
        ? { problem: 'KAFKA_USERNAME is required in production (unless KAFKA_SASL_MECHANISM=none)' }
        : { value: defaultUser };
    },
  };
  const password: Field<string | undefined> = {
    variable: 'KAFKA_PASSWORD',
    secret: true,
    read(source) {
      if (mechanismOf(source) === 'none') return { value: undefined };
      if (given(source, 'KAFKA_PASSWORD') && given(source, 'KAFKA_PASSWORD_FILE'))
        return { problem: 'KAFKA_PASSWORD and KAFKA_PASSWORD_FILE are exclusive: set one' };
      if (given(source, 'KAFKA_PASSWORD')) return { value: source.KAFKA_PASSWORD! }; // never trimmed or echoed
      let file = source.KAFKA_PASSWORD_FILE?.trim();
      let variable = 'KAFKA_PASSWORD_FILE';
      if (!file) {
        if (isProduction(source))
          return {
            problem:
              'KAFKA_PASSWORD or KAFKA_PASSWORD_FILE is required in production (unless KAFKA_SASL_MECHANISM=none)',
          };
        file = localKafkaPasswordFile(source.KAFKA_USERNAME?.trim() || defaultUser, source);
        variable = 'KAFKA_PASSWORD_FILE (default, made by deploy/local/kafka.sh)';
      }
      try {
        const value = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        return value ? { value } : { problem: `${variable} (${file}) is empty` };
      } catch (err) {
        // No local broker made yet (unit tests, a machine without deploy/local/kafka.sh): the
        // client refuses to connect without a password, naming the variables (libs/kafka).
        if (!given(source, 'KAFKA_PASSWORD_FILE') && (err as NodeJS.ErrnoException).code === 'ENOENT')
          return { value: undefined };
        return {
          problem: `${variable} cannot be read (${file}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        };
      }
    },
  };
  const tls: Field<KafkaSecurity['tls']> = {
    variable: 'KAFKA_TLS',
    secret: false,
    read(source) {
      const flag = source.KAFKA_TLS?.trim() ?? '';
      let on = false;
      if (/^(true|1|yes|on)$/i.test(flag)) on = true;
      else if (flag && !/^(false|0|no|off)$/i.test(flag))
        return { problem: `KAFKA_TLS must be true or false (got "${flag}")` };
      const files = ['KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'].filter((v) =>
        given(source, v),
      );
      if (!on)
        return files.length
          ? { problem: `${files.join(', ')} set but KAFKA_TLS is not true` }
          : { value: undefined };
      if (given(source, 'KAFKA_TLS_CERT_FILE') !== given(source, 'KAFKA_TLS_KEY_FILE'))
        return { problem: 'KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (mutual TLS)' };
      const out: NonNullable<KafkaSecurity['tls']> = {};
      const problems: string[] = [];
      for (const [variable, key] of [
        ['KAFKA_TLS_CA_FILE', 'ca'],
        ['KAFKA_TLS_CERT_FILE', 'cert'],
        ['KAFKA_TLS_KEY_FILE', 'key'],
      ] as const) {
        if (!given(source, variable)) continue;
        const r = readPem(variable, source[variable]!.trim());
        if (r.problem) problems.push(r.problem);
        else out[key] = r.value;
      }
      return problems.length ? { problem: problems.join('; ') } : { value: out };
    },
  };
  return { kafkaSaslMechanism: mechanism, kafkaUsername: username, kafkaPassword: password, kafkaTls: tls };
}

/** The client security of a loaded configuration (see kafkaSecuritySchema). */
export function kafkaSecurityOf(c: {
  kafkaSaslMechanism: KafkaSaslMechanism;
  kafkaUsername?: string;
  kafkaPassword?: string;
  kafkaTls?: KafkaSecurity['tls'];
}): KafkaSecurity {
  return {
    mechanism: c.kafkaSaslMechanism,
    username: c.kafkaUsername,
    password: c.kafkaPassword,
    tls: c.kafkaTls,
  };
}

/**
 * For operator CLIs, scripts and test fixtures: the client security the environment names,
 * validated (ConfigError names the variable). Outside production the default principal is the
 * local admin.
 */
export function kafkaSecurityFromEnv(
  source: Source = process.env,
  defaultUser = 'vigil-admin',
): KafkaSecurity {
  return kafkaSecurityOf(loadConfig(kafkaSecuritySchema(defaultUser), source));
}

/**
 * For services that count cheap refused requests per client (the junk ledger of @vigil/auth): the
 * window counts are aggregated over, the junk requests in a window after which the client gets
 * 429 until the window ends, and how many client addresses are tracked at once (beyond that, junk
 * is counted in one global bucket: no throttle, memory bounded).
 */
export function junkSchema() {
  return {
    junkWindowSeconds: env.int('JUNK_WINDOW_SECONDS', { default: 60, min: 1, max: 3600 }),
    junkThrottleThreshold: env.int('JUNK_THROTTLE_THRESHOLD', { default: 300, min: 1, max: 1_000_000 }),
    junkMaxTrackedClients: env.int('JUNK_MAX_TRACKED_CLIENTS', { default: 20_000, min: 1, max: 10_000_000 }),
  };
}
