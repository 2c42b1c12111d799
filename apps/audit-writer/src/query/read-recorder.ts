import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { Request } from 'express';
import type { Logger } from 'winston';
import { clientIp, type VerifiedToken } from '@vigil/auth';
import { createEvent, topicOf, type EventEnvelope } from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { LOGGER } from '@vigil/runtime';
import { currentContext } from '@vigil/telemetry';

/**
 * Every read of the audit store is itself audited (AUDIT_LOG_READ), before the data leaves:
 * if the record cannot be published, the read is refused (503), never served unaudited.
 */
@Injectable()
export class ReadRecorder {
  constructor(
    private readonly producer: EventProducer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(
    who: VerifiedToken,
    req: Request,
    endpoint: string,
    filters: Record<string, unknown>,
    rowCount: number,
  ): Promise<void> {
    const ctx = currentContext();
    const event = createEvent('AUDIT_LOG_READ', {
      producer: 'audit-writer',
      actor: { userId: who.sub, roles: who.roles },
      source: { ip: clientIp(req), userAgent: req.header('user-agent')?.slice(0, 512) },
      outcome: 'success',
      requestId: ctx?.requestId,
      ...(ctx?.traceparent ? { traceparent: ctx.traceparent } : {}),
      attributes: { endpoint, filters: stringify(filters), rowCount },
    }) as EventEnvelope;
    try {
      await this.producer.publish(topicOf('AUDIT_LOG_READ'), [event]);
    } catch (err) {
      this.logger.error('audit read could not be recorded; refusing the read', { err, endpoint });
      throw new ServiceUnavailableException({
        title: 'Service Unavailable',
        detail: 'the read could not be audited; retry shortly',
      });
    }
  }
}

function stringify(filters: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filters))
    if (v !== undefined && k !== 'cursor') out[k] = String(v).slice(0, 256);
  return out;
}
