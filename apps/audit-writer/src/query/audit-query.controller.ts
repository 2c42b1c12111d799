import { BadRequestException, Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { HealthRegistry } from '@vigil/runtime';
import { AuditQueryRepository, decodeCursor, encodeCursor } from './audit-query.repository';
import { LogQueryDto, SecurityQueryDto, StatsQueryDto } from './dto/log-query.dto';
import { CSV_HEADER, csvLine } from './export-format';
import { ReadRecorder } from './read-recorder';

const PAGE_MAX = 1000;
const EXPORT_PAGE = 2000;

/**
 * The audit query API of seed 001 (`/api/v1/audit/...`), for the auditor and admin roles only.
 * Every read is recorded as AUDIT_LOG_READ before any row leaves.
 */
@Controller('api/v1/audit')
@Roles('auditor', 'admin')
export class AuditQueryController {
  constructor(
    private readonly repo: AuditQueryRepository,
    private readonly recorder: ReadRecorder,
    private readonly health: HealthRegistry,
  ) {}

  /** seed 001-03: filter by user, action, IP, outcome and time range; keyset pages; CSV/JSONL export. */
  @Get('logs')
  async logs(@Query() q: LogQueryDto, @Principal() who: VerifiedToken, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (q.from && q.to && q.from >= q.to) throw new BadRequestException('from must be before to');
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const format = q.format ?? 'json';
    if (format === 'json') {
      const limit = q.limit ?? 100;
      if (limit > PAGE_MAX) throw new BadRequestException(`limit is at most ${PAGE_MAX} for JSON pages; use format=csv or jsonl to export more`);
      const items = await this.repo.page(q, limit, after);
      await this.recorder.record(who, req, '/api/v1/audit/logs', { ...q }, items.length);
      const last = items[items.length - 1];
      res.json({ items, nextCursor: items.length === limit && last ? encodeCursor(last) : null });
      return;
    }
    await this.export(q, format, after, who, req, res);
  }

  private async export(q: LogQueryDto, format: 'csv' | 'jsonl', after: { createdAt: string; id: string } | undefined, who: VerifiedToken, req: Request, res: Response): Promise<void> {
    const max = q.limit ?? 10000;
    // Read the first page before recording, so the record can say whether rows leave at all.
    let page = await this.repo.page(q, Math.min(EXPORT_PAGE, max), after);
    await this.recorder.record(who, req, '/api/v1/audit/logs', { ...q, format }, Math.min(max, page.length < EXPORT_PAGE ? page.length : max));
    res.status(200).type(format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    res.setHeader('Content-Disposition', `attachment; filename="audit-logs.${format}"`);
    if (format === 'csv') res.write(CSV_HEADER);
    let sent = 0;
    while (page.length > 0 && sent < max) {
      for (const row of page) {
        if (sent >= max) break;
        res.write(format === 'csv' ? csvLine(row) : `${JSON.stringify(row)}\n`);
        sent++;
      }
      if (page.length < EXPORT_PAGE || sent >= max) break;
      const last = page[page.length - 1];
      page = await this.repo.page(q, Math.min(EXPORT_PAGE, max - sent), { createdAt: last.createdAt, id: last.id });
    }
    res.end();
  }

  /** seed 001-07: recent security events and alerts, with the failed-auth picture. */
  @Get('security')
  async security(@Query() q: SecurityQueryDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    const result = await this.repo.security(q);
    await this.recorder.record(who, req, '/api/v1/audit/security', { ...q }, result.alerts.length);
    return result;
  }

  /** Counts per action per hour or day (seed 001-29 "total logs per hour/day"). */
  @Get('stats')
  async stats(@Query() q: StatsQueryDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    const buckets = await this.repo.stats(q);
    await this.recorder.record(who, req, '/api/v1/audit/stats', { ...q }, buckets.length);
    return { bucket: q.bucket ?? 'hour', buckets };
  }

  /**
   * seed 001-06: the audit service's health: dependencies, ingest, chains, checkpoints, store size.
   * Not an audited read (it returns no log data), so it answers in full while Kafka is down.
   */
  @Get('health')
  async storeHealth() {
    const [readiness, store] = await Promise.all([this.health.evaluate(), this.repo.storeHealth()]);
    return { status: readiness.status, failing: readiness.failing, checks: readiness.checks, ...store };
  }
}
