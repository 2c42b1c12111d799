import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';

/** One readiness check's result (PostgreSQL, Kafka, a consumer, the migrations, ...). */
export class CheckResultDoc {
  @ApiProperty({ example: true })
  ok!: boolean;

  @ApiPropertyOptional({ description: 'working but held back (e.g. a consumer waiting for a dependency)' })
  degraded?: boolean;

  @ApiPropertyOptional({ example: 'connect ECONNREFUSED 127.0.0.1:5432' })
  detail?: string;
}

/** The readiness report GET /health answers (libs/runtime health.ts). */
export class HealthReportDoc {
  @ApiProperty({ enum: ['ok', 'degraded', 'shutting_down'] })
  status!: string;

  @ApiProperty({ description: 'every check answers (200); otherwise 503' })
  ready!: boolean;

  @ApiProperty({ type: [String], description: 'the checks that failed or are degraded' })
  failing!: string[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(CheckResultDoc) },
    description: 'each check by name',
  })
  checks!: Record<string, CheckResultDoc>;

  @ApiProperty({ example: true })
  live!: boolean;
}

export class LivenessDoc {
  @ApiProperty({ enum: ['ok'] })
  status!: string;

  @ApiProperty({ example: true })
  live!: boolean;
}

const READY_EXAMPLE = {
  status: 'ok',
  ready: true,
  failing: [],
  checks: { postgres: { ok: true }, kafka: { ok: true }, migrations: { ok: true } },
  live: true,
};
const NOT_READY_EXAMPLE = {
  status: 'degraded',
  ready: false,
  failing: ['postgres'],
  checks: {
    postgres: { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:5432' },
    kafka: { ok: true },
    migrations: { ok: true },
  },
  live: true,
};

/** Documents a readiness route (no token): 200 ready, 503 not, the same report either way. */
export function ApiReadiness(): MethodDecorator {
  const schema = { $ref: getSchemaPath(HealthReportDoc) };
  return applyDecorators(
    ApiExtraModels(HealthReportDoc, CheckResultDoc),
    ApiOperation({
      summary: 'Readiness: PostgreSQL, Kafka, migrations, producer and consumers (no token)',
    }),
    ApiResponse({
      status: 200,
      description: 'Ready (status ok, or degraded with a consumer held back)',
      content: { 'application/json': { schema, example: READY_EXAMPLE } },
    }),
    ApiResponse({
      status: 503,
      description: 'Not ready, or shutting down; the failing checks are named',
      content: { 'application/json': { schema, example: NOT_READY_EXAMPLE } },
    }),
  );
}

/** Documents a liveness route (no token). */
export function ApiLiveness(): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: 'Liveness: 200 while the process serves HTTP at all (no token)' }),
    ApiResponse({ status: 200, type: LivenessDoc, example: { status: 'ok', live: true } }),
  );
}

/** Documents GET /metrics: Prometheus text, scraped per pod (never routed by the one base URL). */
export function ApiPrometheusMetrics(): MethodDecorator {
  return applyDecorators(
    ApiTags('health'),
    ApiOperation({ summary: 'Prometheus metrics from the OpenTelemetry SDK (scraped per pod; no token)' }),
    ApiProduces('text/plain'),
    ApiResponse({
      status: 200,
      description: 'Prometheus text exposition format',
      content: {
        'text/plain': {
          schema: { type: 'string' },
          example:
            '# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n# TYPE http_server_request_duration_seconds histogram\n',
        },
      },
    }),
  );
}
