import {
  applyDecorators,
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
} from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { ApiProblems, ApiRoles, SERVICE_CONFIG } from '@vigil/runtime';
import type { RetentionWorkerConfig } from '../config';
import { describePolicy } from '../policy/policy';
import { CleanupDto } from './cleanup.dto';
import { RetentionPolicyDoc, RUN_REPORT_EXAMPLE, RunReportDoc } from './run-report.doc';
import { ExpiryService, RunInProgress, type RunReport } from './expiry.service';

/**
 * Seed 001-24's cleanup endpoint, and the policy it applies. Admin only. `retention_days` may
 * lengthen the hot window for one run but never shorten it below the policy (that would remove
 * rows the policy says to keep); a dry run reports and changes nothing.
 */
@ApiTags('retention')
@ApiRoles('admin')
@ApiProblems(500)
@Controller()
@Roles('admin')
export class CleanupController {
  constructor(
    private readonly expiry: ExpiryService,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
  ) {}

  /**
   * A policy run now (the `vigil retention run` command): the same run and the same rules as the
   * seed's cleanup endpoint, at a path of the retention API, which the one base URL routes here
   * without an exception (`/api/v1/audit/*` is the audit-writer's). Recorded as RETENTION_RUN.
   */
  @Post('api/v1/retention/runs')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Run the retention policy now (vigil retention run): archive, verify, cut, detach, drop; or a dry run',
    description:
      'The same run as POST /api/v1/audit/cleanup, at a path of the retention API. Recorded as RETENTION_RUN.',
  })
  @RunDocs()
  runNow(@Body() body: CleanupDto, @Principal() who: VerifiedToken): Promise<RunReport> {
    return this.cleanup(body, who);
  }

  @Post('api/v1/audit/cleanup')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Seed 001-24\'s cleanup endpoint: a policy run ({"retention_days": 90}); never shorter than the policy',
    description:
      'Routed to the retention-worker by the one base URL (an exact route; the rest of /api/v1/audit is the audit-writer). Recorded as RETENTION_RUN.',
  })
  @RunDocs()
  async cleanup(@Body() body: CleanupDto, @Principal() who: VerifiedToken): Promise<RunReport> {
    const days = body.retention_days ?? this.config.policy.hotDays;
    if (days < this.config.policy.hotDays)
      throw new BadRequestException(
        `retention_days must be at least the policy's hot window (${this.config.policy.hotDays} days): shorter would remove rows the policy keeps`,
      );
    try {
      return await this.expiry.run({
        trigger: 'api',
        dryRun: body.dry_run ?? false,
        retentionDays: days,
        actor: { userId: who.sub, roles: who.roles },
      });
    } catch (err) {
      if (err instanceof RunInProgress) throw new ConflictException(err.message);
      throw err;
    }
  }

  @Get('api/v1/retention/policy')
  @ApiOperation({
    summary: 'The retention policy in force: hot and archive windows, classes, redaction, schedule',
  })
  @ApiOkResponse({
    type: RetentionPolicyDoc,
    example: {
      hotDays: 90,
      archiveDays: 365,
      classes: [{ name: 'admin-7y', archiveDays: 2555, actions: ['ROLE_CHANGED', 'AUDIT_LOG_READ'] }],
      redact: { ip_address: 'network', user_agent: 'remove', username: 'remove' },
      schedule: 'daily 03:00 UTC',
      maxPartitionsPerRun: 7,
      detachedGraceHours: 168,
      lockTimeoutMs: 2000,
    },
  })
  policy(): Record<string, unknown> {
    return describePolicy(this.config.policy);
  }
}

/** What both run endpoints take and answer. */
function RunDocs(): MethodDecorator {
  return applyDecorators(
    ApiBody({
      type: CleanupDto,
      required: false,
      examples: {
        seed: { summary: "seed 001-24's call", value: { retention_days: 90 } },
        dryRun: { summary: 'report only', value: { dry_run: true } },
      },
    }),
    ApiOkResponse({ type: RunReportDoc, example: RUN_REPORT_EXAMPLE }),
    ApiProblems(
      {
        status: 400,
        detail:
          "retention_days must be at least the policy's hot window (90 days): shorter would remove rows the policy keeps",
      },
      { status: 409, detail: 'another retention run is in progress' },
    ),
  );
}
