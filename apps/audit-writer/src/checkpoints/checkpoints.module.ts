import { Module } from '@nestjs/common';
import { CheckpointService } from './checkpoint.service';
import { RetentionCutRequests } from './retention-cut-requests';
import { RetentionCutService } from './retention-cut.service';
import { StoreStatsService } from './store-stats.service';

/** Signed chain heads and retention cuts, stored and published outside the database's reach. */
@Module({
  providers: [CheckpointService, RetentionCutService, RetentionCutRequests, StoreStatsService],
  exports: [CheckpointService, RetentionCutService],
})
export class CheckpointsModule {}
