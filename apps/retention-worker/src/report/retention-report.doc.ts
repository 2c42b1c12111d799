import { ApiProperty, PickType } from '@nestjs/swagger';
import { LegalHoldDoc } from '../holds/holds.dto';

// OpenAPI shape of GET /api/v1/retention/report (retention-report.ts builds it).

class PolicyClassDoc {
  @ApiProperty({ example: 'admin-7y' })
  name!: string;

  @ApiProperty({ example: 2555 })
  archiveDays!: number;
}

class ReportPolicyDoc {
  @ApiProperty({ example: 90 })
  hotDays!: number;

  @ApiProperty({ example: 365 })
  archiveDays!: number;

  @ApiProperty({ type: [PolicyClassDoc] })
  classes!: PolicyClassDoc[];
}

class ExplainedDoc {
  @ApiProperty({ example: 'audit_logs_20260901' })
  partition!: string;

  @ApiProperty({ example: 22 })
  rows!: number;

  @ApiProperty({ example: 'due: the next retention run archives and drops it' })
  why!: string;
}

class HotStoreDoc {
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  oldestRow!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 7689600 })
  oldestRowAgeSeconds!: number | null;

  @ApiProperty({ example: 93 })
  partitions!: number;

  @ApiProperty({ type: String, nullable: true, example: 'audit_logs_20260901' })
  oldestPartition!: string | null;

  @ApiProperty({ description: "seed 001-64's check: rows older than the hot window", example: 0 })
  rowsOlderThanPolicy!: number;

  @ApiProperty({ type: [ExplainedDoc], description: 'why each such row is still there' })
  explained!: ExplainedDoc[];
}

class GapsDoc {
  @ApiProperty({ format: 'date-time' })
  fromHour!: string;

  @ApiProperty({ format: 'date-time' })
  toHour!: string;

  @ApiProperty({ type: [String], description: 'hours (ISO) with no row at all' })
  hours!: string[];
}

class ArchiveClassDoc {
  @ApiProperty({ example: 'default' })
  className!: string;

  @ApiProperty({ example: 275 })
  archives!: number;

  @ApiProperty({ example: 1200000 })
  rows!: number;

  @ApiProperty({ example: 310000000 })
  bytes!: number;

  @ApiProperty({ type: String, nullable: true, example: '2025-12-02' })
  oldestDay!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2026-09-02' })
  newestDay!: string | null;
}

class ArchiveProblemsDoc {
  @ApiProperty({ example: 0 })
  unverified!: number;

  @ApiProperty({ example: 0 })
  failed!: number;
}

class DetachedDoc {
  @ApiProperty({ example: 'audit_logs_20260831' })
  table!: string;

  @ApiProperty({ format: 'date-time' })
  dropAfter!: string;
}

/** A hold as the report lists it: the hold's own fields, without who made or released it. */
class ReportHoldDoc extends PickType(LegalHoldDoc, [
  'holdId',
  'userId',
  'action',
  'from',
  'to',
  'reason',
  'createdAt',
] as const) {}

class LastRunDoc {
  @ApiProperty({ example: 'ret-20261202T030000Z-9f8e7d' })
  runId!: string;

  @ApiProperty({ type: String, nullable: true, enum: ['success', 'partial', 'failure', null] })
  outcome!: string | null;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  finishedAt!: string | null;

  @ApiProperty()
  dryRun!: boolean;
}

export class RetentionReportDoc {
  @ApiProperty({ format: 'date-time' })
  generatedAt!: string;

  @ApiProperty({ type: ReportPolicyDoc })
  policy!: ReportPolicyDoc;

  @ApiProperty({ type: HotStoreDoc })
  hot!: HotStoreDoc;

  @ApiProperty({
    type: GapsDoc,
    description: "hours in the window with no row (seed 001's gaps in hourly counts)",
  })
  gaps!: GapsDoc;

  @ApiProperty({ type: [ArchiveClassDoc], description: 'verified archives per retention class' })
  archives!: ArchiveClassDoc[];

  @ApiProperty({ type: ArchiveProblemsDoc })
  archiveProblems!: ArchiveProblemsDoc;

  @ApiProperty({ example: 0 })
  archivesDeleted!: number;

  @ApiProperty({ type: [DetachedDoc] })
  detachedAwaitingDrop!: DetachedDoc[];

  @ApiProperty({ type: [ReportHoldDoc], description: 'active legal holds' })
  holds!: ReportHoldDoc[];

  @ApiProperty({ type: LastRunDoc, nullable: true })
  lastRun!: LastRunDoc | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  lastSuccessfulRun!: string | null;
}

export const RETENTION_REPORT_EXAMPLE = {
  generatedAt: '2026-12-02T09:00:00.000Z',
  policy: { hotDays: 90, archiveDays: 365, classes: [{ name: 'admin-7y', archiveDays: 2555 }] },
  hot: {
    oldestRow: '2026-09-03T00:00:04.000Z',
    oldestRowAgeSeconds: 7808396,
    partitions: 93,
    oldestPartition: 'audit_logs_20260903',
    rowsOlderThanPolicy: 0,
    explained: [],
  },
  gaps: { fromHour: '2026-11-25T09:00:00.000Z', toHour: '2026-12-02T09:00:00.000Z', hours: [] },
  archives: [
    {
      className: 'default',
      archives: 275,
      rows: 1200000,
      bytes: 310000000,
      oldestDay: '2025-12-02',
      newestDay: '2026-09-02',
    },
  ],
  archiveProblems: { unverified: 0, failed: 0 },
  archivesDeleted: 0,
  detachedAwaitingDrop: [],
  holds: [],
  lastRun: {
    runId: 'ret-20261202T030000Z-9f8e7d',
    outcome: 'success',
    startedAt: '2026-12-02T03:00:00.000Z',
    finishedAt: '2026-12-02T03:00:41.000Z',
    dryRun: false,
  },
  lastSuccessfulRun: '2026-12-02T03:00:41.000Z',
};
