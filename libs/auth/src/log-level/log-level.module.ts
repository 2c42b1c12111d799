import {
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Optional,
  Put,
  Req,
  type DynamicModule,
  type MiddlewareConsumer,
  type ModuleMetadata,
  type NestMiddleware,
  type NestModule,
  type OnModuleDestroy,
  type Type,
} from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'winston';
import { ApiProblems, ApiRoles, LOGGER, SERVICE_NAME } from '@vigil/runtime';
import { Principal, Roles } from '../nest/decorators';
import type { VerifiedToken } from '../verified-token';
import { LogLevelChangeDoc, LogLevelViewDoc, SetLogLevelDto } from './log-level.dto';
import { LogLevelState, type LogLevel, type LogLevelView } from './log-level.state';

/** An app's audit hook for a level change (the gateway writes LOG_LEVEL_CHANGED through its outbox). */
export interface LogLevelAudit {
  changed(change: {
    service: string;
    before: LogLevel;
    after: LogLevel;
    ttlSeconds?: number;
    actor: { userId: string; roles: string[] };
    request: Request;
  }): Promise<void>;
}
export const LOG_LEVEL_AUDIT = Symbol('LOG_LEVEL_AUDIT');

@Injectable()
class LogLevelHolder implements OnModuleDestroy {
  readonly state: LogLevelState;

  constructor(
    @Inject(LOGGER) logger: Logger,
    @Inject(SERVICE_NAME) readonly service: string,
  ) {
    this.state = new LogLevelState(logger, (from, to) =>
      logger.warn('log level reverted: its time ran out', { before: from, after: to }),
    );
  }

  onModuleDestroy(): void {
    this.state.dispose();
  }
}

/**
 * At debug level, one line per HTTP request (method, path without its query, status, time): what
 * "increase logging" shows an investigator (seed 002-32). Nothing at info and above.
 */
@Injectable()
class DebugRequestLog implements NestMiddleware {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (!this.logger.isDebugEnabled()) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      this.logger.debug('http request', {
        method: req.method,
        path: (req.originalUrl ?? req.url).split('?')[0].slice(0, 256),
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      });
    });
    next();
  }
}

function logLevelController(prefix: string): Type<unknown> {
  const base = `${prefix.replace(/^\/+|\/+$/g, '')}/log-level`;

  @ApiTags('admin')
  @ApiRoles('admin')
  @Roles('admin')
  @Controller(base)
  class LogLevelController {
    constructor(
      private readonly holder: LogLevelHolder,
      @Inject(LOGGER) private readonly logger: Logger,
      @Optional() @Inject(LOG_LEVEL_AUDIT) private readonly audit?: LogLevelAudit,
    ) {}

    @Get()
    @ApiOperation({
      summary: "This instance's log level, the configured LOG_LEVEL, and when a temporary level reverts",
    })
    @ApiOkResponse({
      type: LogLevelViewDoc,
      example: { service: 'audit-writer', level: 'info', configured: 'info', revertsAt: null },
    })
    get(): LogLevelView & { service: string } {
      return { service: this.holder.service, ...this.holder.state.view() };
    }

    @Put()
    @ApiOperation({
      summary:
        'Seed 002-32: change the log level at runtime, no restart (this instance), for ttlSeconds or until changed again; logged at warn with the admin',
    })
    @ApiBody({
      type: SetLogLevelDto,
      examples: { investigate: { value: { level: 'debug', ttlSeconds: 900 } } },
    })
    @ApiOkResponse({
      type: LogLevelChangeDoc,
      example: {
        service: 'audit-writer',
        before: 'info',
        level: 'debug',
        configured: 'info',
        revertsAt: '2026-12-02T09:29:03.000Z',
      },
    })
    @ApiProblems({
      status: 400,
      errors: ['level must be one of the following values: error, warn, info, debug'],
    })
    async set(
      @Body() dto: SetLogLevelDto,
      @Principal() who: VerifiedToken,
      @Req() req: Request,
    ): Promise<LogLevelView & { service: string; before: LogLevel }> {
      const before = this.holder.state.set(dto.level, dto.ttlSeconds);
      // At warn, so the change itself is on record whatever the level.
      this.logger.warn('log level changed', {
        before,
        after: dto.level,
        ttlSeconds: dto.ttlSeconds ?? null,
        actorUserId: who.sub,
      });
      await this.audit?.changed({
        service: this.holder.service,
        before,
        after: dto.level,
        ttlSeconds: dto.ttlSeconds,
        actor: { userId: who.sub, roles: [...who.roles] },
        request: req,
      });
      return { service: this.holder.service, before, ...this.holder.state.view() };
    }
  }
  Object.defineProperty(LogLevelController, 'name', { value: `LogLevelController(${base})` });
  return LogLevelController;
}

export interface LogLevelModuleOptions {
  /** The service's admin prefix: `api/v1/admin` (gateway), `api/v1/audit/admin`, ... */
  prefix: string;
  audit?: Type<LogLevelAudit>;
  /** Modules the audit hook depends on. */
  imports?: ModuleMetadata['imports'];
}

/**
 * `GET|PUT <prefix>/log-level` (admin role, verified like every admin route of the service) and
 * the debug request log. Needs InfraModule (LOGGER, SERVICE_NAME) and AuthModule (the guards).
 */
@Module({})
export class LogLevelModule implements NestModule {
  static forRoot(opts: LogLevelModuleOptions): DynamicModule {
    return {
      module: LogLevelModule,
      imports: opts.imports ?? [],
      controllers: [logLevelController(opts.prefix)],
      providers: [
        LogLevelHolder,
        DebugRequestLog,
        ...(opts.audit ? [{ provide: LOG_LEVEL_AUDIT, useClass: opts.audit }] : []),
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DebugRequestLog).forRoutes('{*splat}');
  }
}
