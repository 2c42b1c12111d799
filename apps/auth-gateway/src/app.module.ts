import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'winston';
import { AuthModule, JwksVerifier } from '@vigil/auth';
import { InfraModule, SERVICE_CONFIG } from '@vigil/runtime';
import { AdminUsersController } from './admin/admin-users.controller';
import { AdminUsersService } from './admin/admin-users.service';
import { IpBlocksController } from './admin/ip-blocks.controller';
import { IpBlocksService } from './admin/ip-blocks.service';
import { GatewayAuthEventsSink } from './auth/gateway-auth-events.sink';
import { SessionRevocationCheck } from './auth/session-revocation.check';
import { SERVICE, type AuthGatewayConfig } from './config';
import { CoreModule } from './core.module';
import { HealthAliasController } from './http/health-alias.controller';
import { IpBlockGuard } from './http/ip-block.guard';
import { JunkThrottleGuard } from './junk/junk-throttle.guard';
import { JwksController } from './keys/jwks.controller';
import { KeyStore } from './keys/key-store';
import { AuthController } from './login/auth.controller';
import { LoginService } from './login/login.service';
import { MaintenanceService } from './maintenance.service';
import { migrations } from './migrations';
import { OutboxRelay } from './outbox/outbox.relay';
import { MonitorKeyring } from './security-actions/monitor-keyring';
import { SecurityActionsConsumer } from './security-actions/security-actions.consumer';
import { SecurityActionsService } from './security-actions/security-actions.service';
import { SessionsService } from './sessions/sessions.service';
import { UsersService } from './users/users.service';

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
          topics: [{ topic: config.authEventsTopic }, { topic: config.securityActionsTopic }],
        }),
        CoreModule,
        AuthModule.forRoot({
          // The gateway verifies its own tokens from its key store: a key rotated by another
          // instance is picked up from the shared directory on the first token that names it.
          verifier: {
            inject: [KeyStore, SERVICE_CONFIG],
            useFactory: (keys: KeyStore, c: AuthGatewayConfig) => {
              const verifier = new JwksVerifier({
                loadJwks: async () => (await keys.reload(), keys.jwks()),
                issuer: c.jwtIssuer,
                audience: c.jwtAudience,
                refreshCooldownMs: 2000,
                cacheMaxAgeMs: 30_000,
              });
              // A key this instance now signs with is never "unknown" to it, cooldown or not.
              keys.onChange(() => verifier.invalidate());
              return verifier;
            },
          },
          eventsSink: GatewayAuthEventsSink,
          revocationCheck: SessionRevocationCheck,
        }),
      ],
      controllers: [AuthController, AdminUsersController, IpBlocksController, JwksController, HealthAliasController],
      providers: [
        LoginService,
        SessionsService,
        UsersService,
        AdminUsersService,
        IpBlocksService,
        MonitorKeyring,
        SecurityActionsService,
        SecurityActionsConsumer,
        OutboxRelay,
        MaintenanceService,
        // Global guards run in this order: the junk throttle first, before any database work.
        { provide: APP_GUARD, useClass: JunkThrottleGuard },
        { provide: APP_GUARD, useClass: IpBlockGuard },
      ],
    };
  }
}
