import { env } from './env';

/** Variables every Vigil service reads; each app adds its own to this schema. */
export function serviceSchema(defaults: { port: number; schema: string; groupId?: string }) {
  return {
    nodeEnv: env.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, { default: 'development' }),
    logLevel: env.oneOf('LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, { default: 'info' }),
    httpHost: env.string('HTTP_HOST', { default: '0.0.0.0' }),
    httpPort: env.int('HTTP_PORT', { default: defaults.port, min: 1, max: 65535 }),
    databaseUrl: env.url('DATABASE_URL', {
      default: 'postgres://postgres@127.0.0.1:5432/vigil',
      protocols: ['postgres', 'postgresql'],
      secret: true,
    }),
    dbSchema: env.string('DB_SCHEMA', { default: defaults.schema, pattern: /^[a-z_][a-z0-9_]{0,62}$/ }),
    dbPoolMax: env.int('DB_POOL_MAX', { default: 10, min: 1, max: 200 }),
    dbMigrateOnStart: env.bool('DB_MIGRATE_ON_START', { default: true }),
    kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
    kafkaClientId: env.string('KAFKA_CLIENT_ID', { default: `vigil-${defaults.schema}` }),
    kafkaGroupId: env.string('KAFKA_GROUP_ID', { default: defaults.groupId ?? `vigil-${defaults.schema}` }),
    /** How long the group waits for a silent member (e.g. killed) before rebalancing its partitions. */
    kafkaSessionTimeoutMs: env.int('KAFKA_SESSION_TIMEOUT_MS', { default: 30000, min: 6000, max: 300000 }),
    kafkaTopicPartitions: env.int('KAFKA_TOPIC_PARTITIONS', { default: 3, min: 1, max: 1000 }),
    kafkaReplicationFactor: env.int('KAFKA_REPLICATION_FACTOR', { default: 1, min: 1, max: 7 }),
    shutdownTimeoutMs: env.int('SHUTDOWN_TIMEOUT_MS', { default: 25000, min: 1000, max: 600000 }),
  };
}

/** For services that accept the gateway's access tokens: verified against its published keys. */
export function tokenVerifierSchema() {
  return {
    authJwksUrl: env.url('AUTH_JWKS_URL', { default: 'http://127.0.0.1:3000/.well-known/jwks.json', protocols: ['http', 'https'] }),
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
