import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Module,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Logger } from 'winston';
import { JunkRecorder, markAudited, type JunkRefusal } from '@vigil/auth';
import {
  createEvent,
  topicOf,
  Topics,
  type EventEnvelope,
  type JunkRequestsAggregatedAttributes,
} from '@vigil/contracts';
import { EventProducer } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { currentContext } from '@vigil/telemetry';
import { SERVICE, type AuditWriterConfig } from '../config';

/**
 * The audit API's junk recorder (issue 14 item 10, as at the gateway; the bookkeeping is
 * @vigil/auth's JunkRecorder): a refused token costs its sender nothing, so per client and window
 * the first is published in full and the rest are counted into one JUNK_REQUESTS_AGGREGATED.
 * Events go to Kafka directly (the writer has no outbox), on the auth events topic the writer
 * reads them from (KafkaJS retries a send; one that still fails is logged, and the request is refused
 * all the same).
 */
@Injectable()
export class AuditApiJunk extends JunkRecorder {
  constructor(
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) private readonly config: AuditWriterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super({
      windowSeconds: config.junkWindowSeconds,
      throttleThreshold: config.junkThrottleThreshold,
      maxTrackedClients: config.junkMaxTrackedClients,
      meter: 'vigil.audit-writer',
      logger,
    });
  }

  /** Where an event of the audit API goes: auth events to the configured auth topic, others by type. */
  topicFor(event: EventEnvelope): string {
    const topic = topicOf(event.type);
    return topic === Topics.AUTH_EVENTS ? (this.config.authEventsTopic ?? topic) : topic;
  }

  /** Publishes the audit API's own events (ACCESS_DENIED too). */
  emit(events: EventEnvelope[]): Promise<void> {
    return this.publish(events);
  }

  /** Never rejects: a refused request is refused whether or not its event could be published; a failure is logged. */
  protected async publish(events: EventEnvelope[]): Promise<void> {
    const byTopic = new Map<string, EventEnvelope[]>();
    for (const e of events) {
      const topic = this.topicFor(e);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), e]);
    }
    for (const [topic, batch] of byTopic) {
      await this.producer.publish(topic, batch).catch((err: unknown) =>
        this.logger.warn('audit API events not published', {
          err,
          topic,
          count: batch.length,
          types: [...new Set(batch.map((e) => e.type))],
        }),
      );
    }
  }

  protected aggregateEvent(
    attributes: JunkRequestsAggregatedAttributes,
    address: string | undefined,
  ): EventEnvelope {
    return createEvent('JUNK_REQUESTS_AGGREGATED', {
      producer: SERVICE,
      ...(address ? { source: { ip: address } } : {}),
      outcome: 'denied',
      reason: 'aggregated',
      attributes,
    }) as EventEnvelope;
  }
}

/**
 * The audit API's first guard: a client over the junk threshold in its window gets 429 with
 * Retry-After (problem body) until the window ends, before its token is verified. The 429s are
 * junk too: the first is a RATE_LIMITED event, the rest are counted. Health and metrics are not throttled.
 */
@Injectable()
export class AuditApiJunkThrottleGuard implements CanActivate {
  constructor(private readonly junk: AuditApiJunk) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const refused = await this.junk.refuseThrottled(req, (r) => rateLimited(r, req));
    if (!refused) return true;
    ctx.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(refused.retryAfterSeconds));
    throw markAudited(
      new HttpException(
        {
          type: 'https://vigil.dev/problems/too-many-requests',
          title: 'Too Many Requests',
          detail: `too many refused requests from this client; retry in ${refused.retryAfterSeconds} s`,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      ),
    );
  }
}

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** The envelope's source for a request of the audit API: its client and a printable, bounded user agent. */
export function sourceOf(
  ip: string | undefined,
  userAgent: string | undefined,
): { source?: { ip?: string; userAgent?: string } } {
  const ua = userAgent?.replace(CONTROL, ' ').trim().slice(0, 512) || undefined;
  return ip || ua ? { source: { ...(ip ? { ip } : {}), ...(ua ? { userAgent: ua } : {}) } } : {};
}

function rateLimited(r: JunkRefusal, req: Request): EventEnvelope {
  return createEvent('RATE_LIMITED', {
    producer: SERVICE,
    ...sourceOf(r.ip, req.header('user-agent')),
    outcome: 'denied',
    reason: 'junk_throttled',
    requestId: currentContext()?.requestId,
    attributes: { route: r.route, scope: 'ip', retryAfterSeconds: r.retryAfterSeconds },
  }) as EventEnvelope;
}

/** The junk recorder (for the auth events sink) and the junk throttle, the audit API's first guard. */
@Module({
  providers: [AuditApiJunk, { provide: APP_GUARD, useClass: AuditApiJunkThrottleGuard }],
  exports: [AuditApiJunk],
})
export class AuditApiJunkModule {}
