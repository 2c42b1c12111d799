import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { fingerprinterFor, PASSWORD_FINGERPRINTS } from './password-fingerprint';
import { PasswordHasher } from './password-hasher';

/**
 * Argon2id hashing with the configured cost (the policy, password-policy.ts, is a plain function),
 * and the keyed fingerprints of wrong passwords (password-fingerprint.ts): the key file is read at
 * start, so a missing or short one stops the gateway naming PASSWORD_FINGERPRINT_KEY_FILE.
 */
@Module({
  providers: [
    {
      provide: PasswordHasher,
      inject: [SERVICE_CONFIG],
      useFactory: async (c: AuthGatewayConfig) => {
        const hasher = new PasswordHasher({
          memoryKiB: c.argon2MemoryKiB,
          timeCost: c.argon2TimeCost,
          parallelism: c.argon2Parallelism,
        });
        await hasher.init();
        return hasher;
      },
    },
    {
      provide: PASSWORD_FINGERPRINTS,
      inject: [SERVICE_CONFIG],
      useFactory: (c: AuthGatewayConfig) => fingerprinterFor(c),
    },
  ],
  exports: [PasswordHasher, PASSWORD_FINGERPRINTS],
})
export class PasswordsModule {}
