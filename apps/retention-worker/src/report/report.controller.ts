import { Controller, Get, Inject, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@vigil/auth';
import { Db } from '@vigil/database';
import { ApiProblems, ApiRoles, SERVICE_CONFIG } from '@vigil/runtime';
import type { RetentionWorkerConfig } from '../config';
import { retentionReport, type RetentionReport } from './retention-report';
import { RETENTION_REPORT_EXAMPLE, RetentionReportDoc } from './retention-report.doc';

/** GET /api/v1/retention/report: seed 001-26's compliance check (auditors and admins). */
@ApiTags('retention')
@ApiRoles('auditor', 'admin')
@ApiProblems(500)
@Controller('api/v1/retention/report')
@Roles('auditor', 'admin')
export class ReportController {
  constructor(
    private readonly ds: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      "Seed 001-26's compliance check: oldest row, rows past the hot window and why, hourly gaps, archives, holds, last runs",
  })
  @ApiQuery({
    name: 'gap_hours',
    required: false,
    schema: { type: 'integer', minimum: 0, maximum: 2160, default: 168 },
    description: 'how many hours back to look for hours without rows (default a week, at most 90 days)',
    example: 24,
  })
  @ApiOkResponse({ type: RetentionReportDoc, example: RETENTION_REPORT_EXAMPLE })
  async report(@Query('gap_hours') gapHours?: string): Promise<RetentionReport> {
    const hours = gapHours && /^\d{1,5}$/.test(gapHours) ? Math.min(Number(gapHours), 24 * 90) : 24 * 7;
    return retentionReport(
      Db.of(this.ds),
      { audit: this.config.auditDbSchema, retention: this.config.dbSchema },
      this.config.policy,
      hours,
    );
  }
}
