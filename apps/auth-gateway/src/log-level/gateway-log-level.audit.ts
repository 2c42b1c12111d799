import { Injectable } from '@nestjs/common';
import type { LogLevelAudit } from '@vigil/auth';
import { gatewayEvent } from '../events/gateway-event.factory';
import { StandaloneEvents } from '../events/standalone-events';
import { metaOf } from '../http/request-meta';

/** The gateway's log-level changes (seed 002-32) are audit events too: LOG_LEVEL_CHANGED, actor = the admin. */
@Injectable()
export class GatewayLogLevelAudit implements LogLevelAudit {
  constructor(private readonly events: StandaloneEvents) {}

  async changed(c: Parameters<LogLevelAudit['changed']>[0]): Promise<void> {
    await this.events.emit(
      gatewayEvent('LOG_LEVEL_CHANGED', {
        actor: c.actor,
        outcome: 'success',
        attributes: {
          service: c.service,
          before: c.before,
          after: c.after,
          ...(c.ttlSeconds !== undefined ? { ttlSeconds: c.ttlSeconds } : {}),
        },
        meta: metaOf(c.request),
      }),
    );
  }
}
