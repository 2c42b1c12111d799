import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'winston';
import { AuthModule, JwksVerifier, LogLevelModule } from '@vigil/auth';
import { InfraModule, SERVICE_CONFIG } from '@vigil/runtime';
import { AccountsModule } from './accounts/accounts.module';
import { SessionRevocationCheck } from './accounts/session-revocation.check';
import { AdminModule } from './admin/admin.module';
import { GatewayAuthEventsSink } from './auth/gateway-auth-events.sink';
import { SERVICE, type AuthGatewayConfig } from './config';
import { EventsModule } from './events/events.module';
import { GatewayHttpModule } from './http/http.module';
import { IpBlockGuard } from './ip-blocks/ip-block.guard';
import { IpBlocksModule } from './ip-blocks/ip-blocks.module';
import { JunkModule } from './junk/junk.module';
import { JunkThrottleGuard } from './junk/junk-throttle.guard';
import { KeyStore } from './keys/key-store';
import { KeysModule } from './keys/keys.module';
import { GatewayLogLevelAudit } from './log-level/gateway-log-level.audit';
import { LoginModule } from './login/login.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { MaintenanceModeModule } from './maintenance-mode/maintenance-mode.module';
import { migrations } from './migrations';
import { OAuthModule } from './oauth/oauth.module';
import { OutboxModule } from './outbox/outbox.module';
import { SecurityActionsModule } from './security-actions/security-actions.module';
import { SessionsModule } from './sessions/sessions.module';

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
        AuthModule.forRoot({
          imports: [KeysModule, EventsModule, JunkModule, AccountsModule],
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
        GatewayHttpModule,
        OutboxModule,
        KeysModule,
        JunkModule,
        LoginModule,
        OAuthModule,
        SessionsModule,
        AccountsModule,
        AdminModule,
        IpBlocksModule,
        SecurityActionsModule,
        MaintenanceModule,
        MaintenanceModeModule,
        // GET|PUT /api/v1/admin/log-level (seed 002-32), audited as LOG_LEVEL_CHANGED.
        LogLevelModule.forRoot({
          prefix: 'api/v1/admin',
          audit: GatewayLogLevelAudit,
          imports: [EventsModule],
        }),
      ],
      providers: [
        // Global guards run in this order: the junk throttle first, before any database work.
        { provide: APP_GUARD, useClass: JunkThrottleGuard },
        { provide: APP_GUARD, useClass: IpBlockGuard },
      ],
    };
  }
}
