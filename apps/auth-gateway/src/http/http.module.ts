import { Module } from '@nestjs/common';
import { HealthAliasController } from './health-alias.controller';

/**
 * The HTTP edge shared by every controller: problem responses (problems.ts, the filter bound on
 * each controller), client address and request metadata (request-meta.ts), and seed 001's
 * `/api/v1/health` alias.
 */
@Module({ controllers: [HealthAliasController] })
export class GatewayHttpModule {}
