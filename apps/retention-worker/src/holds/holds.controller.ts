import { randomBytes } from 'node:crypto';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Principal, Roles, type VerifiedToken } from '@vigil/auth';
import { Db } from '@vigil/database';
import { ApiProblems, ApiRoles, SERVICE_CONFIG } from '@vigil/runtime';
import type { RetentionWorkerConfig } from '../config';
import { OpsOutbox } from '../events/ops-outbox';
import {
  CreateHoldDto,
  LEGAL_HOLD_EXAMPLE,
  LegalHoldDoc,
  LegalHoldListDoc,
  ReleaseHoldDto,
} from './holds.dto';
import { holdAttributes, HoldsRepository, type LegalHold } from './holds.repository';

/**
 * Legal holds (admin): held rows are never detached or dropped and held archives never deleted;
 * the audit owner's guard functions read the same table. Every change is an event.
 */
@ApiTags('holds')
@ApiRoles('admin')
@ApiProblems(500)
@Controller('api/v1/retention/holds')
@Roles('admin')
export class HoldsController {
  private readonly repo: HoldsRepository;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OpsOutbox,
    @Inject(SERVICE_CONFIG) config: RetentionWorkerConfig,
  ) {
    this.repo = new HoldsRepository(config.auditDbSchema);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Set a legal hold by user, action and/or time range: held rows and archives are never removed (LEGAL_HOLD_SET)',
  })
  @ApiBody({
    type: CreateHoldDto,
    examples: {
      byAction: {
        summary: 'every ROLE_CHANGED row',
        value: { action: 'ROLE_CHANGED', reason: 'litigation hold, case 2026-114' },
      },
      byUserAndTime: {
        summary: "one user's rows in a time range",
        value: {
          user_id: '0193a6c2-0000-7000-8000-00000000002a',
          from: '2026-10-01T00:00:00Z',
          to: '2026-11-01T00:00:00Z',
          reason: 'HR investigation 77',
        },
      },
    },
  })
  @ApiCreatedResponse({ type: LegalHoldDoc, example: LEGAL_HOLD_EXAMPLE })
  @ApiProblems({ status: 400, detail: 'a hold names a user_id, an action, or a from/to time range' })
  async create(@Body() body: CreateHoldDto, @Principal() who: VerifiedToken): Promise<LegalHold> {
    if (!body.user_id && !body.action && !body.from && !body.to)
      throw new BadRequestException('a hold names a user_id, an action, or a from/to time range');
    if (body.from && body.to && Date.parse(body.from) >= Date.parse(body.to))
      throw new BadRequestException('from must be before to');
    const holdId = `hold-${randomBytes(6).toString('hex')}`;
    return Db.of(this.ds).tx(async (c) => {
      const hold = await this.repo.insert(c, {
        holdId,
        userId: body.user_id,
        action: body.action,
        from: body.from,
        to: body.to,
        reason: body.reason,
        createdBy: who.sub,
      });
      await this.outbox.add(c, 'LEGAL_HOLD_SET', holdAttributes(hold, body.reason), {
        userId: who.sub,
        roles: who.roles,
      });
      return hold;
    });
  }

  @Get()
  @ApiOperation({ summary: 'The active legal holds (?all=true: released ones too)' })
  @ApiQuery({
    name: 'all',
    required: false,
    enum: ['true', 'false'],
    description: 'true: released holds too',
  })
  @ApiOkResponse({ type: LegalHoldListDoc, example: { items: [LEGAL_HOLD_EXAMPLE] } })
  async list(@Query('all') all?: string): Promise<{ items: LegalHold[] }> {
    return { items: await this.repo.list(Db.of(this.ds), all === 'true') };
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Release a legal hold, with a reason (LEGAL_HOLD_RELEASED)' })
  @ApiBody({ type: ReleaseHoldDto, examples: { closed: { value: { reason: 'case closed' } } } })
  @ApiParam({
    name: 'id',
    schema: { type: 'string', pattern: '^hold-[0-9a-f]{12}$' },
    example: 'hold-0123456789ab',
  })
  @ApiOkResponse({
    type: LegalHoldDoc,
    example: {
      ...LEGAL_HOLD_EXAMPLE,
      releasedAt: '2026-12-09T09:00:00.000Z',
      releasedBy: '0193a6c2-0000-7000-8000-000000000001',
      releaseReason: 'case closed',
    },
  })
  @ApiProblems(400, { status: 404, detail: 'no active hold hold-0123456789ab' })
  async release(
    @Param('id') id: string,
    @Body() body: ReleaseHoldDto,
    @Principal() who: VerifiedToken,
  ): Promise<LegalHold> {
    if (!/^hold-[0-9a-f]{12}$/.test(id)) throw new NotFoundException(`no active hold ${id.slice(0, 40)}`);
    return Db.of(this.ds).tx(async (c) => {
      const hold = await this.repo.release(c, id, who.sub, body.reason);
      if (!hold) throw new NotFoundException(`no active hold ${id}`);
      await this.outbox.add(c, 'LEGAL_HOLD_RELEASED', holdAttributes(hold, body.reason), {
        userId: who.sub,
        roles: who.roles,
      });
      return hold;
    });
  }
}
