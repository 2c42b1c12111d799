import {
  Global,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type Provider,
  type Type,
} from '@nestjs/common';
import { JwksVerifier, type JwksVerifierOptions } from '../jwks-verifier';
import type { TokenVerifier } from '../verified-token';
import type { AuthEventsSink, RevocationCheck } from './auth-events-sink';
import { JwtAuthGuard, RolesGuard } from './jwt-auth.guard';
import { AUTH_EVENTS_SINK, REVOCATION_CHECK, TOKEN_VERIFIER } from './tokens';

export interface VerifierFactory {
  useFactory: (...deps: never[]) => TokenVerifier | Promise<TokenVerifier>;
  inject?: InjectionToken[];
}

export interface AuthModuleOptions {
  /** JwksVerifier options (the usual case: `{ jwksUrl, issuer, audience }`), or a factory. */
  verifier: JwksVerifierOptions | VerifierFactory;
  /** The app's audit hook for refused tokens and denied roles. */
  eventsSink?: Type<AuthEventsSink>;
  /** Post-signature revocation check (the gateway checks its sessions). */
  revocationCheck?: Type<RevocationCheck>;
  /** Modules the sink, the revocation check or the factory depend on. */
  imports?: ModuleMetadata['imports'];
}

/**
 * JWT verification and role guards for any Vigil service:
 *
 *   AuthModule.forRoot({ verifier: { jwksUrl, issuer, audience }, eventsSink: MySink })
 *   @Roles('auditor', 'admin') @Get() list(@Principal() who: VerifiedToken) { ... }
 */
@Global()
@Module({})
export class AuthModule {
  static forRoot(opts: AuthModuleOptions): DynamicModule {
    const verifier: Provider =
      'useFactory' in opts.verifier
        ? {
            provide: TOKEN_VERIFIER,
            useFactory: opts.verifier.useFactory,
            inject: opts.verifier.inject ?? [],
          }
        : { provide: TOKEN_VERIFIER, useValue: new JwksVerifier(opts.verifier) };
    const providers: Provider[] = [verifier, JwtAuthGuard, RolesGuard];
    if (opts.eventsSink) providers.push({ provide: AUTH_EVENTS_SINK, useClass: opts.eventsSink });
    if (opts.revocationCheck) providers.push({ provide: REVOCATION_CHECK, useClass: opts.revocationCheck });
    return { module: AuthModule, imports: opts.imports ?? [], providers, exports: providers };
  }
}
