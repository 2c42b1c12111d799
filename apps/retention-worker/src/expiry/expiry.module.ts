import { Module } from '@nestjs/common';
import { CleanupController } from './cleanup.controller';
import { ExpiryService } from './expiry.service';
import { RetentionScheduler } from './retention.scheduler';

/** Partition expiry: the pipeline, its schedule, and seed 001-24's cleanup endpoint. */
@Module({
  controllers: [CleanupController],
  providers: [ExpiryService, RetentionScheduler],
  exports: [ExpiryService],
})
export class ExpiryModule {}
