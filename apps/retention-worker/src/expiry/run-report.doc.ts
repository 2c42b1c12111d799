import { ApiProperty } from '@nestjs/swagger';

// OpenAPI shapes of a retention run's report (run-report.ts) and of the policy it applies.

class RetentionClassRowsDoc {
  @ApiProperty({ example: 'default' })
  name!: string;

  @ApiProperty({ example: 20 })
  rows!: number;

  @ApiProperty({ example: 365 })
  archiveDays!: number;
}

class PartitionPlanDoc {
  @ApiProperty({ example: 'audit_logs_20260901' })
  name!: string;

  @ApiProperty({ description: 'YYYY-MM-DD (UTC)', example: '2026-09-01' })
  day!: string;

  @ApiProperty({ example: 22 })
  rows!: number;

  @ApiProperty({ example: 49152 })
  bytes!: number;

  @ApiProperty({ type: [RetentionClassRowsDoc] })
  classes!: RetentionClassRowsDoc[];

  @ApiProperty({ type: String, nullable: true, description: 'the legal hold keeping it', example: null })
  heldBy!: string | null;
}

class TotalsDoc {
  @ApiProperty({ example: 1 })
  partitions!: number;

  @ApiProperty({ example: 22 })
  rows!: number;

  @ApiProperty({ example: 49152 })
  bytes!: number;
}

class ArchivedDoc {
  @ApiProperty({ example: '20260901-default-3f2a1b0c' })
  archiveId!: string;

  @ApiProperty({ example: 'audit_logs_20260901' })
  partition!: string;

  @ApiProperty({ example: 'default' })
  className!: string;

  @ApiProperty({ example: 20 })
  rows!: number;

  @ApiProperty({ example: 8192 })
  bytes!: number;

  @ApiProperty({ description: 'of the archived object, hex' })
  sha256!: string;
}

class ArchiveKeptDoc {
  @ApiProperty()
  archiveId!: string;

  @ApiProperty({ example: 'hold-0123456789ab' })
  heldBy!: string;
}

class RunFailureDoc {
  @ApiProperty({ required: false, example: 'audit_logs_20260901' })
  partition?: string;

  @ApiProperty({ description: 'what failed: expire (a partition), drop, archive-delete', example: 'expire' })
  step!: string;

  @ApiProperty({ example: 'archive store unreachable' })
  error!: string;
}

/** What POST /api/v1/retention/runs and POST /api/v1/audit/cleanup answer. */
export class RunReportDoc {
  @ApiProperty({ example: 'ret-20261202T031500Z-1a2b3c' })
  runId!: string;

  @ApiProperty()
  dryRun!: boolean;

  @ApiProperty({ example: 90 })
  retentionDays!: number;

  @ApiProperty({ format: 'date-time', description: 'partitions of days before this go' })
  cutoff!: string;

  @ApiProperty({ type: [PartitionPlanDoc] })
  partitions!: PartitionPlanDoc[];

  @ApiProperty({ type: TotalsDoc })
  totals!: TotalsDoc;

  @ApiProperty({ type: [ArchivedDoc] })
  archived!: ArchivedDoc[];

  @ApiProperty({ type: [String] })
  detached!: string[];

  @ApiProperty({ type: [String] })
  dropped!: string[];

  @ApiProperty({ type: [String], description: 'partitions kept by a legal hold' })
  held!: string[];

  @ApiProperty({ type: [String] })
  archivesDeleted!: string[];

  @ApiProperty({ type: [ArchiveKeptDoc] })
  archivesKept!: ArchiveKeptDoc[];

  @ApiProperty({ type: [RunFailureDoc] })
  failures!: RunFailureDoc[];

  @ApiProperty({ enum: ['success', 'partial', 'failure'] })
  outcome!: string;
}

export const RUN_REPORT_EXAMPLE = {
  runId: 'ret-20261202T031500Z-1a2b3c',
  dryRun: true,
  retentionDays: 90,
  cutoff: '2026-09-03T00:00:00.000Z',
  partitions: [
    {
      name: 'audit_logs_20260901',
      day: '2026-09-01',
      rows: 22,
      bytes: 49152,
      classes: [
        { name: 'default', rows: 20, archiveDays: 365 },
        { name: 'admin-7y', rows: 2, archiveDays: 2555 },
      ],
      heldBy: null,
    },
  ],
  totals: { partitions: 1, rows: 22, bytes: 49152 },
  archived: [],
  detached: [],
  dropped: [],
  held: [],
  archivesDeleted: [],
  archivesKept: [],
  failures: [],
  outcome: 'success',
};

class RetentionClassDoc {
  @ApiProperty({ example: 'admin-7y' })
  name!: string;

  @ApiProperty({ example: 2555 })
  archiveDays!: number;

  @ApiProperty({ type: [String], example: ['ROLE_CHANGED', 'AUDIT_LOG_READ'] })
  actions!: string[];
}

class RedactionDoc {
  @ApiProperty({
    required: false,
    enum: ['remove', 'network'],
    description: 'network: keep the /24 (IPv4) or /48 (IPv6)',
  })
  ip_address?: string;

  @ApiProperty({ required: false, enum: ['remove'] })
  user_agent?: string;

  @ApiProperty({ required: false, enum: ['remove'] })
  username?: string;
}

/** GET /api/v1/retention/policy: the policy in force (RETENTION_POLICY_FILE and RETENTION_* overrides). */
export class RetentionPolicyDoc {
  @ApiProperty({ description: 'rows stay in audit_logs this many whole UTC days', example: 90 })
  hotDays!: number;

  @ApiProperty({ description: 'archives are kept this many days (default class)', example: 365 })
  archiveDays!: number;

  @ApiProperty({ type: [RetentionClassDoc] })
  classes!: RetentionClassDoc[];

  @ApiProperty({ type: RedactionDoc, description: 'what leaves the hot store redacted' })
  redact!: RedactionDoc;

  @ApiProperty({ example: 'daily 03:00 UTC', description: 'off, every <n>s, or daily HH:MM UTC' })
  schedule!: string;

  @ApiProperty({ example: 7 })
  maxPartitionsPerRun!: number;

  @ApiProperty({ example: 168 })
  detachedGraceHours!: number;

  @ApiProperty({ example: 2000 })
  lockTimeoutMs!: number;
}
