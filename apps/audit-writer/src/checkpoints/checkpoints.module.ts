import { Module } from '@nestjs/common';
import { CheckpointService } from './checkpoint.service';
import { RetentionCutService } from './retention-cut.service';

/** Signed chain heads and retention cuts, stored and published outside the database's reach. */
@Module({ providers: [CheckpointService, RetentionCutService], exports: [CheckpointService, RetentionCutService] })
export class CheckpointsModule {}
