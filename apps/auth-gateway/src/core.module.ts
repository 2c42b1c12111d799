import { Global, Module } from '@nestjs/common';
import type { Logger } from 'winston';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { GatewayAuthEventsSink } from './auth/gateway-auth-events.sink';
import { SessionRevocationCheck } from './auth/session-revocation.check';
import type { AuthGatewayConfig } from './config';
import { Db } from './db/db';
import { StandaloneEvents } from './events/standalone-events';
import { JunkRequests } from './junk/junk-requests.service';
import { AccessTokenSigner } from './keys/access-token.signer';
import { KeyStore } from './keys/key-store';
import { OutboxWriter } from './outbox/outbox.writer';
import { PasswordHasher } from './passwords/password-hasher';

const providers = [
  Db,
  OutboxWriter,
  StandaloneEvents,
  JunkRequests,
  AccessTokenSigner,
  GatewayAuthEventsSink,
  SessionRevocationCheck,
  {
    provide: KeyStore,
    inject: [SERVICE_CONFIG, LOGGER],
    useFactory: async (c: AuthGatewayConfig, logger: Logger) => {
      const store = new KeyStore({
        dir: c.signingKeysDir,
        alg: c.signingAlg,
        accessTtlMs: c.accessTokenTtlSeconds * 1000,
        prepublishMs: c.signingKeyPrepublishSeconds * 1000,
        rotationMs: c.signingKeyRotationDays * 86_400_000,
        logger,
      });
      await store.init();
      return store;
    },
  },
  {
    provide: PasswordHasher,
    inject: [SERVICE_CONFIG],
    useFactory: async (c: AuthGatewayConfig) => {
      const hasher = new PasswordHasher({ memoryKiB: c.argon2MemoryKiB, timeCost: c.argon2TimeCost, parallelism: c.argon2Parallelism });
      await hasher.init();
      return hasher;
    },
  },
];

/** What every gateway feature stands on: SQL, the outbox, keys, password hashing. */
@Global()
@Module({ providers, exports: providers })
export class CoreModule {}
