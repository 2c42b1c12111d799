import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { PasswordHasher } from './password-hasher';

/** Argon2id hashing with the configured cost (the policy, password-policy.ts, is a plain function). */
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
  ],
  exports: [PasswordHasher],
})
export class PasswordsModule {}
