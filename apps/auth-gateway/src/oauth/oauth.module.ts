import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { LoginModule } from '../login/login.module';
import { MaintenanceModeModule } from '../maintenance-mode/maintenance-mode.module';
import { PasswordsModule } from '../passwords/passwords.module';
import { SessionsModule } from '../sessions/sessions.module';
import { DatabaseModule } from '../database/database.module';
import { LockoutModule } from '../lockout/lockout.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ClientAuthRequestMiddleware } from './client-auth-request.middleware';
import { ClientAuthenticator } from './client-authenticator';
import { CorsMiddleware } from './cors.middleware';
import { DiscoveryController } from './discovery.controller';
import { OAuthController } from './oauth.controller';
import { TokenInspection } from './token-inspection.service';

/**
 * OAuth 2.0 (issue 20): the token endpoint with client authentication (OAUTH_CLIENTS), RFC 7009
 * revocation, RFC 7662 introspection, RFC 8414 / OpenID discovery metadata. Logins and refreshes
 * themselves are the login and sessions modules' use cases.
 */
@Module({
  imports: [
    DatabaseModule,
    OutboxModule,
    LockoutModule,
    EventsModule,
    LoginModule,
    SessionsModule,
    PasswordsModule,
    MaintenanceModeModule,
  ],
  controllers: [OAuthController, DiscoveryController],
  providers: [ClientAuthenticator, TokenInspection],
})
export class OAuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(CorsMiddleware)
      .forRoutes(
        { path: 'api/v1/auth/*path', method: RequestMethod.ALL },
        { path: 'api/auth/*path', method: RequestMethod.ALL },
        { path: '.well-known/*path', method: RequestMethod.ALL },
      );
    // Client authentication counts and audits failures against the caller (client-authenticator.ts).
    consumer
      .apply(ClientAuthRequestMiddleware)
      .forRoutes(
        { path: 'api/v1/auth/token', method: RequestMethod.POST },
        { path: 'api/v1/auth/revoke', method: RequestMethod.POST },
        { path: 'api/v1/auth/introspect', method: RequestMethod.POST },
      );
  }
}
