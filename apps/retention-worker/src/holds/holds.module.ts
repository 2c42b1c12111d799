import { Module } from '@nestjs/common';
import { HoldsController } from './holds.controller';

/** Legal holds (admin API); the guard functions in the audit schema enforce them. */
@Module({ controllers: [HoldsController] })
export class HoldsModule {}
