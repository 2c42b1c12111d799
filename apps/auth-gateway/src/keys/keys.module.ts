import { Module } from '@nestjs/common';
import type { Logger } from 'winston';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { EventsModule } from '../events/events.module';
import { watchSigningKey } from '../metrics/gateway.metrics';
import { AccessTokenSigner } from './access-token.signer';
import { JwksController } from './jwks.controller';
import { KeysAdminController } from './keys-admin.controller';
import { KeysAdminService } from './keys-admin.service';
import { KeyStore, type SigningAlg } from './key-store';

/** Signing keys (files in SIGNING_KEYS_DIR, rotated by the maintenance job or an admin), the access-token signer, the JWKS and `/api/v1/admin/keys`. */
@Module({
  imports: [EventsModule], // the problem filter on the JWKS controller writes events
  controllers: [JwksController, KeysAdminController],
  providers: [
    AccessTokenSigner,
    KeysAdminService,
    {
      provide: KeyStore,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: async (c: AuthGatewayConfig, logger: Logger) => {
        const store = new KeyStore({
          dir: c.signingKeysDir,
          alg: c.signingAlg,
          additionalAlgs: c.signingAdditionalAlgs as SigningAlg[] | undefined,
          accessTtlMs: c.accessTokenTtlSeconds * 1000,
          prepublishMs: c.signingKeyPrepublishSeconds * 1000,
          rotationMs: c.signingKeyRotationDays * 86_400_000,
          logger,
        });
        await store.init();
        watchSigningKey(() => {
          const signing = store.describe().find((k) => k.state === 'signing');
          return signing ? Date.parse(signing.createdAt) / 1000 : undefined;
        });
        return store;
      },
    },
  ],
  exports: [KeyStore, AccessTokenSigner],
})
export class KeysModule {}
