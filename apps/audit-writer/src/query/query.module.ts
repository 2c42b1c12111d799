import { Module } from '@nestjs/common';
import { AuditQueryController } from './audit-query.controller';
import { AuditQueryRepository } from './audit-query.repository';
import { ReadRecorder } from './read-recorder';

/** The audit query API (auditors and admins, tokens verified against the gateway's JWKS). */
@Module({ controllers: [AuditQueryController], providers: [AuditQueryRepository, ReadRecorder] })
export class QueryModule {}
