import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'winston';
import { Topics } from '@vigil/contracts';
import { InfraModule } from '@vigil/runtime';
import { SERVICE, type AuthGatewayConfig } from './config';
import { migrations } from './migrations';

/** auth-gateway: the login/logout/refresh/revoke API; every auth outcome becomes an event (outbox → auth.events.v1). */
@Module({})
export class AppModule {
  static register(config: AuthGatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot({
          service: SERVICE,
          config,
          logger,
          migrations,
          topics: [{ topic: Topics.AUTH_EVENTS }, { topic: Topics.SECURITY_ACTIONS }],
        }),
      ],
    };
  }
}
