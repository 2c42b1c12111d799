import {
  describeConfig,
  env,
  loadConfig,
  revocationSchema,
  serviceSchema,
  tokenVerifierSchema,
  ConfigError,
  type ConfigOf,
} from '@vigil/config';
import { archiveSchema } from './archive/archive.config';
import { backupSchema } from './backup/backup.config';
import { loadPolicy, PolicyError, type RetentionPolicy } from './policy/policy';

export const SERVICE = 'retention-worker';

/** Every variable retention-worker reads; start-up fails naming any that is missing or malformed. */
export const schema = {
  ...serviceSchema({ port: 3003, schema: 'retention' }),
  /** The audit store it ages out (the audit-writer's schema). */
  auditDbSchema: env.string('AUDIT_DB_SCHEMA', { default: 'audit', pattern: /^[a-z_][a-z0-9_]{0,62}$/ }),
  /** Where restored archives are loaded for search (never audit_logs). */
  restoreDbSchema: env.string('RESTORE_DB_SCHEMA', {
    default: 'audit_restore',
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
  }),
  /** The whole policy as a JSON document (policy/policy.ts); the RETENTION_* variables below override its fields. */
  retentionPolicyFile: env.string('RETENTION_POLICY_FILE', { optional: true }),
  retentionHotDays: env.int('RETENTION_HOT_DAYS', { optional: true, min: 1, max: 3650 }),
  retentionArchiveDays: env.int('RETENTION_ARCHIVE_DAYS', { optional: true, min: 1, max: 36_500 }),
  retentionSchedule: env.string('RETENTION_SCHEDULE', { optional: true }),
  retentionMaxPartitionsPerRun: env.int('RETENTION_MAX_PARTITIONS_PER_RUN', {
    optional: true,
    min: 1,
    max: 1000,
  }),
  retentionDetachedGraceHours: env.int('RETENTION_DETACHED_GRACE_HOURS', {
    optional: true,
    min: 0,
    max: 24 * 365,
  }),
  retentionLockTimeoutMs: env.int('RETENTION_LOCK_TIMEOUT_MS', { optional: true, min: 100, max: 600_000 }),
  /** How long the worker waits for the audit-writer to sign a retention cut before the run fails (and is retried). */
  retentionCutTimeoutMs: env.int('RETENTION_CUT_TIMEOUT_MS', { default: 60_000, min: 1000, max: 3_600_000 }),
  ...archiveSchema,
  ...backupSchema,
  /** The admin API verifies the gateway's access tokens against its published keys. */
  ...tokenVerifierSchema(),
  ...revocationSchema(),
};

type BaseConfig = ConfigOf<typeof schema>;
export type RetentionWorkerConfig = BaseConfig & { policy: RetentionPolicy };

export function loadRetentionWorkerConfig(source = process.env): RetentionWorkerConfig {
  const base = loadConfig(schema, source);
  try {
    const policy = loadPolicy(base.retentionPolicyFile, {
      hotDays: base.retentionHotDays,
      archiveDays: base.retentionArchiveDays,
      schedule: base.retentionSchedule,
      maxPartitionsPerRun: base.retentionMaxPartitionsPerRun,
      detachedGraceHours: base.retentionDetachedGraceHours,
      lockTimeoutMs: base.retentionLockTimeoutMs,
    });
    return Object.freeze({ ...base, policy });
  } catch (err) {
    if (err instanceof PolicyError) throw new ConfigError([err.message]);
    throw err;
  }
}

export const describeRetentionWorkerConfig = (config: RetentionWorkerConfig) =>
  describeConfig(schema, config);
