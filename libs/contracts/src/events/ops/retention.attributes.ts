import { Int, OneOf, Optional, Str, StrArray, UtcTimestamp } from '../../validation/decorators';
import { CODE, HEX_SHA256, IDENTIFIER, PRINTABLE } from '../../validation/patterns';

/* What the retention worker does to the audit store, each step an event on ops.events.v1. */

/** A daily partition's name, e.g. `audit_logs_20260102`. */
const PARTITION = /^audit_logs_[0-9]{8}$/;

/** ARCHIVE_WRITTEN: a partition exported to the archive store (not yet read back). */
export class ArchiveWrittenAttributes {
  @Str(64, { pattern: IDENTIFIER })
  archiveId!: string;

  @Str(32, { pattern: PARTITION })
  partition!: string;

  @Int(0)
  rows!: number;

  @Int(0)
  bytes!: number;

  /** Whole-object SHA-256 of the compressed archive, computed by Vigil. */
  @Str(64, { pattern: HEX_SHA256 })
  sha256!: string;

  /** Where it went, e.g. `s3://vigil-archive/audit/2026/01/02/...jsonl.gz`. */
  @Str(512, { pattern: PRINTABLE })
  location!: string;

  /** PII fields redacted or pseudonymised before the archive left the hot store. */
  @StrArray(10, 64, CODE)
  redacted!: string[];
}

/** ARCHIVE_VERIFIED: read back and matched against the database (count, SHA-256, chain ends). */
export class ArchiveVerifiedAttributes {
  @Str(64, { pattern: IDENTIFIER })
  archiveId!: string;

  @Str(32, { pattern: PARTITION })
  partition!: string;

  @Int(0)
  rows!: number;

  @Str(64, { pattern: HEX_SHA256 })
  sha256!: string;

  /** Chains with rows in the partition. */
  @Int(0)
  chains!: number;
}

export const PartitionStage = { DETACHED: 'detached', DROPPED: 'dropped' } as const;
export type PartitionStage = (typeof PartitionStage)[keyof typeof PartitionStage];

/** PARTITION_DROPPED: rows left the hot store (detached), then after the grace period were dropped. */
export class PartitionDroppedAttributes {
  @Str(32, { pattern: PARTITION })
  partition!: string;

  @OneOf(Object.values(PartitionStage))
  stage!: PartitionStage;

  @Str(64, { pattern: IDENTIFIER })
  archiveId!: string;

  @Int(0)
  rows!: number;
}

/** ARCHIVE_DELETED: an archive past its window removed from the store. */
export class ArchiveDeletedAttributes {
  @Str(64, { pattern: IDENTIFIER })
  archiveId!: string;

  @Str(32, { pattern: PARTITION })
  partition!: string;

  @Str(64, { pattern: HEX_SHA256 })
  sha256!: string;

  /** The archive was kept until here by policy. */
  @UtcTimestamp()
  retainUntil!: string;

  /** The retention class that set the window, e.g. `archive-365d` or `long-2555d`. */
  @Str(64, { pattern: IDENTIFIER })
  policy!: string;
}

/** LEGAL_HOLD_SET and LEGAL_HOLD_RELEASED: what the hold covers and why. */
export class LegalHoldAttributes {
  @Str(64, { pattern: IDENTIFIER })
  holdId!: string;

  @Optional()
  @Str(64, { pattern: IDENTIFIER })
  userId?: string;

  @Optional()
  @Str(64, { pattern: CODE })
  action?: string;

  @Optional()
  @UtcTimestamp()
  from?: string;

  @Optional()
  @UtcTimestamp()
  to?: string;

  /** Why the hold was set (or released): required, free text without control characters. */
  @Str(500, { pattern: PRINTABLE })
  reason!: string;
}

/** RESTORE_DONE: an archive (or one day of it) loaded into the restore schema after it verified. */
export class RestoreDoneAttributes {
  @Str(64, { pattern: IDENTIFIER })
  restoreId!: string;

  @Str(64, { pattern: IDENTIFIER })
  archiveId!: string;

  @Str(32, { pattern: PARTITION })
  partition!: string;

  @Int(0)
  rows!: number;

  /** Where the rows can be searched (the audit query API's `source=restored`). */
  @Str(128, { pattern: CODE })
  table!: string;
}

/** BACKUP_DONE: a partition-aware pg_dump set with its manifest. */
export class BackupDoneAttributes {
  @Str(64, { pattern: IDENTIFIER })
  backupId!: string;

  @StrArray(10, 64, CODE, 1)
  schemas!: string[];

  @Int(0)
  files!: number;

  @Int(0)
  bytes!: number;

  /** SHA-256 of the backup's manifest (which lists every file's SHA-256). */
  @Str(64, { pattern: HEX_SHA256 })
  manifestSha256!: string;

  @Int(0)
  durationMs!: number;
}
