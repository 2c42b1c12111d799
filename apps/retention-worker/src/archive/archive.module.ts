import { Global, Module, type OnApplicationBootstrap, Inject, Injectable } from '@nestjs/common';
import { HealthRegistry, SERVICE_CONFIG } from '@vigil/runtime';
import type { RetentionWorkerConfig } from '../config';
import { createArchiveStore } from './archive-store.factory';
import type { ArchiveStore } from './archive-store';
import { ARCHIVE_STORE } from './archive.tokens';

/** Readiness includes the archive store: a run with nowhere to put archives would only fail. */
@Injectable()
class ArchiveHealth implements OnApplicationBootstrap {
  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    private readonly health: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.health.register('archive-store', async () => {
      try {
        await this.store.ping();
        return { ok: true, detail: this.store.describe() };
      } catch (err) {
        return { ok: false, detail: `${this.store.describe()}: ${(err as Error).message}` };
      }
    });
  }
}

@Global()
@Module({
  providers: [
    {
      provide: ARCHIVE_STORE,
      useFactory: (config: RetentionWorkerConfig) => createArchiveStore(config),
      inject: [SERVICE_CONFIG],
    },
    ArchiveHealth,
  ],
  exports: [ARCHIVE_STORE],
})
export class ArchiveModule {}
