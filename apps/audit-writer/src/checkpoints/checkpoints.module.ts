import { Module } from '@nestjs/common';
import { CheckpointService } from './checkpoint.service';

/** Signed chain heads, stored and published outside the database's reach. */
@Module({ providers: [CheckpointService], exports: [CheckpointService] })
export class CheckpointsModule {}
