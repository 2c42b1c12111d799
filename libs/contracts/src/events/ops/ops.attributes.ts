import { Bool, BoundedStringMap, Int, OneOf, Optional, Str, UtcTimestamp } from '../../validation/decorators';
import {
  CODE,
  GIT_SHA,
  HEX_SHA256,
  IDENTIFIER,
  ROUTE,
  SERVICE_NAME,
  VERSION_STRING,
} from '../../validation/patterns';

/* Attributes of component-produced events on ops.events.v1 (keyed by producer). */

/** AUDIT_LOG_READ: auditors' reads are themselves audited. */
export class AuditLogReadAttributes {
  @Str(256, { pattern: ROUTE })
  endpoint!: string;

  /** The query's filters as sent (user id, action, time range ...); secret-named keys are refused. */
  @BoundedStringMap({
    maxEntries: 20,
    keyPattern: /^[A-Za-z][A-Za-z0-9_.]*$/,
    maxKeyLength: 64,
    maxValueLength: 256,
  })
  filters!: Record<string, string>;

  @Int(0)
  rowCount!: number;
}

/** RETENTION_RUN: one per run, dry runs included, so retention itself is audited. */
export class RetentionRunAttributes {
  @Str(64, { pattern: IDENTIFIER })
  runId!: string;

  @Bool()
  dryRun!: boolean;

  @Int(1, 36_500)
  retentionDays!: number;

  /** Rows older than this are eligible. */
  @UtcTimestamp()
  cutoff!: string;

  @Int(0, 100_000)
  partitionsArchived!: number;

  @Int(0, 100_000)
  partitionsDropped!: number;

  /** Eligible partitions kept because of a legal hold. */
  @Int(0, 100_000)
  partitionsHeld!: number;

  @Int(0)
  rowsArchived!: number;

  /** SHA-256 of the archive manifest written by this run. */
  @Optional()
  @Str(64, { pattern: HEX_SHA256 })
  manifestSha256?: string;
}

export const MigrationDirection = { UP: 'up', DOWN: 'down' } as const;
export type MigrationDirection = (typeof MigrationDirection)[keyof typeof MigrationDirection];

/** SCHEMA_MIGRATION */
export class SchemaMigrationAttributes {
  @Str(64, { pattern: SERVICE_NAME })
  service!: string;

  @Str(200, { pattern: CODE })
  migration!: string;

  @OneOf(Object.values(MigrationDirection))
  direction!: MigrationDirection;
}

/** DEPLOYMENT */
export class DeploymentAttributes {
  @Str(64, { pattern: SERVICE_NAME })
  service!: string;

  @Str(64, { pattern: VERSION_STRING })
  version!: string;

  @Optional()
  @Str(40, { pattern: GIT_SHA })
  gitSha?: string;
}
