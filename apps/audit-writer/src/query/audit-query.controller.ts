import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestException, Controller, Get, Inject, Logger, Query, Req, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles, CheckResultDoc, HealthRegistry, SERVICE_CONFIG } from '@vigil/runtime';
import { loadKeyring } from '../checkpoints/signing-keys';
import type { AuditWriterConfig } from '../config';
import {
  AuditQueryRepository,
  decodeCursor,
  encodeCursor,
  type AuditLogView,
} from './audit-query.repository';
import {
  AUDIT_LOG_EXAMPLE,
  AuditLogPageDoc,
  CheckpointsDoc,
  SecuritySummaryDoc,
  StatsDoc,
  StoreHealthDoc,
} from './dto/audit-responses.dto';
import { CheckpointQueryDto, LogQueryDto, SecurityQueryDto, StatsQueryDto } from './dto/log-query.dto';
import { CSV_HEADER, csvLine } from './export-format';
import { ReadRecorder } from './read-recorder';

const PAGE_MAX = 1000;
const EXPORT_PAGE = 2000;
/** What an export buffers ahead of the client beyond the page in hand. */
const EXPORT_BUFFER_BYTES = 64 * 1024;

/**
 * The audit query API of seed 001 (`/api/v1/audit/...`), for the auditor and admin roles only.
 * Every read is recorded as AUDIT_LOG_READ before any row leaves.
 */
@ApiTags('audit')
@ApiRoles('auditor', 'admin')
@ApiProblems(500)
@Controller('api/v1/audit')
@Roles('auditor', 'admin')
export class AuditQueryController {
  private readonly logger = new Logger('AuditQueryController');

  constructor(
    private readonly repo: AuditQueryRepository,
    private readonly recorder: ReadRecorder,
    private readonly health: HealthRegistry,
    @Inject(SERVICE_CONFIG) private readonly config: AuditWriterConfig,
  ) {}

  /** seed 001-03: filter by user, action, IP, outcome and time range; keyset pages; CSV/JSONL export. */
  @Get('logs')
  @ApiOperation({
    summary: 'Search audit_logs (seed 001-03): filters, keyset pages, or a csv / jsonl export',
    description:
      'Newest first. JSON pages carry `nextCursor`; `format=csv` or `jsonl` streams up to `limit` rows. Recorded as AUDIT_LOG_READ before any row leaves.',
  })
  @ApiExtraModels(AuditLogPageDoc)
  @ApiProduces('application/json', 'text/csv', 'application/x-ndjson')
  @ApiResponse({
    status: 200,
    description: 'A page (json) or the export (csv, jsonl)',
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(AuditLogPageDoc) },
        example: { items: [AUDIT_LOG_EXAMPLE], nextCursor: null },
      },
      'text/csv': {
        schema: { type: 'string' },
        example: `${CSV_HEADER}1042,0193a6c2-7b1e-7c4a-9f1d-3e2b5a6c7d8e,2026-12-02T09:14:03.125Z,FAILED_AUTH_LOGIN,...\n`,
      },
      'application/x-ndjson': {
        schema: { type: 'string', description: 'one audit row (as in the json items) per line' },
        example: `${JSON.stringify(AUDIT_LOG_EXAMPLE)}\n`,
      },
    },
  })
  @ApiProblems({
    status: 400,
    detail: 'limit is at most 1000 for JSON pages; use format=csv or jsonl to export more',
  })
  async logs(
    @Query() q: LogQueryDto,
    @Principal() who: VerifiedToken,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (q.from && q.to && q.from >= q.to) throw new BadRequestException('from must be before to');
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const format = q.format ?? 'json';
    if (format === 'json') {
      const limit = q.limit ?? 100;
      if (limit > PAGE_MAX)
        throw new BadRequestException(
          `limit is at most ${PAGE_MAX} for JSON pages; use format=csv or jsonl to export more`,
        );
      const items = await this.repo.page(q, limit, after);
      await this.recorder.record(who, req, '/api/v1/audit/logs', { ...q }, items.length);
      const last = items[items.length - 1];
      res.json({ items, nextCursor: items.length === limit && last ? encodeCursor(last) : null });
      return;
    }
    await this.export(q, format, after, who, req, res);
  }

  /**
   * Streams the export with backpressure: each page is read from the database only when the
   * client has taken the previous one (stream pipeline: a slow reader pauses the keyset reads, so
   * at most a page or two is held in memory whatever the export's size); a client that goes away
   * stops the reads.
   */
  private async export(
    q: LogQueryDto,
    format: 'csv' | 'jsonl',
    after: { createdAt: string; id: string } | undefined,
    who: VerifiedToken,
    req: Request,
    res: Response,
  ): Promise<void> {
    const max = q.limit ?? 10000;
    // Read the first page before recording, so the record can say whether rows leave at all.
    const first = await this.repo.page(q, Math.min(EXPORT_PAGE, max), after);
    await this.recorder.record(
      who,
      req,
      '/api/v1/audit/logs',
      { ...q, format },
      Math.min(max, first.length < EXPORT_PAGE ? first.length : max),
    );
    res.status(200).type(format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    res.setHeader('Content-Disposition', `attachment; filename="audit-logs.${format}"`);
    const line = format === 'csv' ? csvLine : (row: AuditLogView) => `${JSON.stringify(row)}\n`;
    const repo = this.repo;
    async function* chunks(): AsyncGenerator<string> {
      if (format === 'csv') yield CSV_HEADER;
      let page = first;
      let sent = 0;
      for (;;) {
        const rows = page.slice(0, max - sent);
        if (rows.length) yield rows.map(line).join('');
        sent += rows.length;
        if (page.length < EXPORT_PAGE || sent >= max) return;
        const last = page[page.length - 1];
        page = await repo.page(q, Math.min(EXPORT_PAGE, max - sent), {
          createdAt: last.createdAt,
          id: last.id,
        });
      }
    }
    try {
      await pipeline(Readable.from(chunks(), { objectMode: false, highWaterMark: EXPORT_BUFFER_BYTES }), res);
    } catch (err) {
      // Headers are gone: nothing to answer. A client that left is routine; anything else is logged.
      const code = (err as { code?: string }).code;
      if (code !== 'ERR_STREAM_PREMATURE_CLOSE')
        this.logger.error(`export failed mid-stream: ${err instanceof Error ? err.message : String(err)}`);
      res.destroy();
    }
  }

  /** seed 001-07: recent security events and alerts, with the failed-auth picture. */
  @Get('security')
  @ApiOperation({
    summary: 'Security summary (seed 001-07): recent alerts, top failing IPs and subjects, security counts',
  })
  @ApiOkResponse({
    type: SecuritySummaryDoc,
    example: {
      since: '2026-12-01T09:14:00.000Z',
      alerts: [],
      topFailedIps: [{ ip: '198.51.100.7', failures: 42 }],
      topFailedSubjects: [{ subject: 'alice@example.com', failures: 7 }],
      counts: [{ action: 'FAILED_AUTH_LOGIN', count: 42 }],
    },
  })
  @ApiProblems(400)
  async security(@Query() q: SecurityQueryDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    const result = await this.repo.security(q);
    await this.recorder.record(who, req, '/api/v1/audit/security', { ...q }, result.alerts.length);
    return result;
  }

  /** Counts per action per hour or day (seed 001-29 "total logs per hour/day"). */
  @Get('stats')
  @ApiOperation({ summary: 'Rows per action per hour or day (seed 001-29)' })
  @ApiOkResponse({
    type: StatsDoc,
    example: {
      bucket: 'hour',
      buckets: [
        { bucket: '2026-12-02T09:00:00.000Z', action: 'AUTH_LOGIN', count: 12 },
        { bucket: '2026-12-02T09:00:00.000Z', action: 'FAILED_AUTH_LOGIN', count: 3 },
      ],
    },
  })
  @ApiProblems(400)
  async stats(@Query() q: StatsQueryDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    const buckets = await this.repo.stats(q);
    await this.recorder.record(who, req, '/api/v1/audit/stats', { ...q }, buckets.length);
    return { bucket: q.bucket ?? 'hour', buckets };
  }

  /**
   * The signed checkpoints covering [from, to) (seed 000-40's evidence, 002-35's snapshot of the
   * proof) and the public keys that verify them: with the rows of the range, an auditor can check
   * them offline (each item is a witness line for `audit:verify --witness` once given
   * `kind: checkpoint`). Recorded like every read.
   */
  @Get('checkpoints')
  @ApiOperation({
    summary:
      'Signed checkpoints covering [from, to) and the public keys that verify them (seeds 000-40, 002-35)',
  })
  @ApiOkResponse({
    type: CheckpointsDoc,
    example: {
      from: '2026-12-01T00:00:00Z',
      to: '2026-12-02T00:00:00Z',
      items: [
        {
          chainId: 'auth.events.v1:0',
          position: 57,
          headHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
          headCreatedAt: '2026-12-01T23:59:58.000Z',
          prevCheckpointHash: null,
          checkpointHash: '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752',
          keyFingerprint: 'sha256:3b2c1a',
          algorithm: 'Ed25519',
          signature: 'q1w2e3r4t5y6u7i8o9p0',
          signedAt: '2026-12-02T00:00:04.000Z',
        },
      ],
      keys: [
        {
          fingerprint: 'sha256:3b2c1a',
          publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA...\n-----END PUBLIC KEY-----\n',
        },
      ],
    },
  })
  @ApiProblems({ status: 400, detail: 'from must be before to' })
  async checkpoints(@Query() q: CheckpointQueryDto, @Principal() who: VerifiedToken, @Req() req: Request) {
    if (q.from >= q.to) throw new BadRequestException('from must be before to');
    const items = await this.repo.checkpoints(q);
    await this.recorder.record(who, req, '/api/v1/audit/checkpoints', { ...q }, items.length);
    // The public keys that verify them (never a private key: the key directory holds `*.pub.pem`).
    const ring = loadKeyring(this.config.auditKeyDir);
    const keys = [...new Set(items.map((c) => c.keyFingerprint))].flatMap((fingerprint) => {
      const key = ring.get(fingerprint);
      return key
        ? [{ fingerprint, publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() }]
        : [];
    });
    return { from: q.from, to: q.to, items, keys };
  }

  /**
   * seed 001-06: the audit service's health: dependencies, ingest, chains, checkpoints, store size.
   * Not an audited read (it returns no log data), so it answers in full while Kafka is down.
   */
  @Get('health')
  @ApiOperation({
    summary:
      "The audit store's health (seed 001-06): dependencies, ingest, chains, checkpoints, size; not an audited read",
  })
  @ApiExtraModels(CheckResultDoc)
  @ApiOkResponse({
    type: StoreHealthDoc,
    example: {
      status: 'ok',
      failing: [],
      checks: { postgres: { ok: true }, kafka: { ok: true } },
      storeBytes: 1843200,
      partitions: 98,
      rowsLastHour: 310,
      chains: [
        {
          chainId: 'auth.events.v1:0',
          position: 57,
          headCreatedAt: '2026-12-02T09:14:03.125Z',
          updatedAt: '2026-12-02T09:14:03.300Z',
        },
      ],
      lastCheckpointAt: '2026-12-02T09:14:05.000Z',
      lastCheckpointAgeSeconds: 4,
      unpublishedCheckpoints: 0,
    },
  })
  async storeHealth() {
    const [readiness, store] = await Promise.all([this.health.evaluate(), this.repo.storeHealth()]);
    return { status: readiness.status, failing: readiness.failing, checks: readiness.checks, ...store };
  }
}
