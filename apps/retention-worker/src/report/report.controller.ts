import { Controller, Get, Inject, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Roles } from '@vigil/auth';
import { Db } from '@vigil/database';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { RetentionWorkerConfig } from '../config';
import { retentionReport, type RetentionReport } from './retention-report';

/** GET /api/v1/retention/report: seed 001-26's compliance check (auditors and admins). */
@Controller('api/v1/retention/report')
@Roles('auditor', 'admin')
export class ReportController {
  constructor(
    private readonly ds: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
  ) {}

  @Get()
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
