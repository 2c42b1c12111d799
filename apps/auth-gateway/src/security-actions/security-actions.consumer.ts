import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EventOf } from '@vigil/contracts';
import type { ConsumedEvent } from '@vigil/kafka';
import { ConsumerRegistry, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { SecurityActionsService } from './security-actions.service';

/** The edge: security.actions.v1 through the runtime's consumer (commit after the transaction, DLQ). */
@Injectable()
export class SecurityActionsConsumer implements OnModuleInit {
  constructor(
    private readonly registry: ConsumerRegistry,
    private readonly actions: SecurityActionsService,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  onModuleInit(): void {
    this.registry.add({
      name: 'security-actions',
      groupId: this.config.kafkaGroupId,
      topics: [this.config.securityActionsTopic],
      maxChunk: 50,
      handler: (events) => this.handle(events),
    });
  }

  async handle(events: ConsumedEvent[]): Promise<void> {
    for (const { event } of events) {
      if (event.type === 'SECURITY_ACTION') await this.actions.apply(event as EventOf<'SECURITY_ACTION'>);
    }
  }
}
