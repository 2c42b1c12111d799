import { Module } from '@nestjs/common';
import { RestoreController } from './restore.controller';
import { RestoreService } from './restore.service';

/** Verified archives back into the restore schema, searchable with the audit API's `source=restored`. */
@Module({ controllers: [RestoreController], providers: [RestoreService], exports: [RestoreService] })
export class RestoreModule {}
