import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@vigil/runtime';
import { createArchiveStore } from '../archive/archive-store.factory';
import type { RetentionWorkerConfig } from '../config';
import { BACKUP_STORE, BackupService } from './backup.service';

/** Scheduled, partition-aware pg_dump backups into the archive store (`backups/<id>/`). */
@Module({
  providers: [
    {
      provide: BACKUP_STORE,
      inject: [SERVICE_CONFIG],
      useFactory: (config: RetentionWorkerConfig) => createArchiveStore(config),
    },
    BackupService,
  ],
  exports: [BackupService],
})
export class BackupModule {}
