import {
  describeConfig,
  env,
  junkSchema,
  loadConfig,
  revocationSchema,
  serviceSchema,
  tokenVerifierSchema,
  type ConfigOf,
} from '@vigil/config';
import { AUDITED_TOPICS } from '@vigil/contracts';

export const SERVICE = 'audit-writer';

/** Every variable audit-writer reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  ...serviceSchema({ port: 3001, schema: 'audit' }),
  /**
   * Off by default: the writer's role may only INSERT and SELECT, and the audit owner's credentials
   * are used by `npm run db:migrate -- audit-writer` alone, never by the running writer. Until that
   * has run, the writer waits, not ready. (Tests that run it as a superuser turn this on.)
   */
  dbMigrateOnStart: env.bool('DB_MIGRATE_ON_START', { default: false }),
  auditTopics: env.list('AUDIT_TOPICS', { default: [...AUDITED_TOPICS], pattern: /^[a-zA-Z0-9._-]+$/ }),
  /** Events per ingest transaction (one COPY). */
  auditBatchMax: env.int('AUDIT_BATCH_MAX', { default: 5000, min: 1, max: 20000 }),
  /** Partitions (chains) written at once: each has its own transaction and chain head lock. */
  auditPartitionsConcurrently: env.int('AUDIT_PARTITIONS_CONCURRENTLY', { default: 3, min: 1, max: 64 }),
  auditPartitionsAheadDays: env.int('AUDIT_PARTITIONS_AHEAD_DAYS', { default: 7, min: 1, max: 90 }),
  /** Event times the writer accepts (ingest/event-time.ts): the hot window plus lateness behind, clock skew ahead. */
  auditHotDays: env.int('AUDIT_HOT_DAYS', { default: 90, min: 1, max: 3650 }),
  auditAllowedLatenessHours: env.int('AUDIT_ALLOWED_LATENESS_HOURS', { default: 24, min: 0, max: 24 * 365 }),
  auditMaxFutureSeconds: env.int('AUDIT_MAX_FUTURE_SECONDS', { default: 300, min: 0, max: 86_400 }),
  /** Tessera signs every 10 s; so do we, idle or not ("nothing happened" is provable). */
  auditCheckpointIntervalMs: env.int('AUDIT_CHECKPOINT_INTERVAL_MS', {
    default: 10000,
    min: 200,
    max: 3600000,
  }),
  /** Ed25519 private key (PEM). Required in production; in development one is made in AUDIT_KEY_DIR. */
  auditSigningKeyFile: env.string('AUDIT_SIGNING_KEY_FILE', { optional: true }),
  /** Where development keys are made, and where the public keys of every key ever used are kept. */
  auditKeyDir: env.string('AUDIT_KEY_DIR', { default: '.cache/keys/audit' }),
  /** Where the retention worker restores archives; the audit API searches it with `source=restored`. */
  restoreDbSchema: env.string('RESTORE_DB_SCHEMA', {
    default: 'audit_restore',
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
  }),
  /** The audit API verifies the gateway's access tokens against its published keys. */
  ...tokenVerifierSchema(),
  /** Revoked sessions, deactivated/locked/demoted users: tokens refused within a second (deny-list from auth events). */
  ...revocationSchema(),
  /** Refused tokens at the audit API: per-client windows, throttle and tracking cap, as at the gateway (issue 14 item 10). */
  ...junkSchema(),
};

export type AuditWriterConfig = ConfigOf<typeof schema>;

export const loadAuditWriterConfig = (source = process.env): AuditWriterConfig => loadConfig(schema, source);
export const describeAuditWriterConfig = (config: AuditWriterConfig) => describeConfig(schema, config);
