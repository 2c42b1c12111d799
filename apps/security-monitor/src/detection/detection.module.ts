import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { RulesModule } from '../rules/rules.module';
import { DetectionConsumer } from './detection.consumer';
import { DetectionService } from './detection.service';
import { PartitionStateRepository } from './partition-state.repository';

/** The three stages' consumers, their per-partition state in PostgreSQL, the rules they run and the alerts they raise. */
@Module({
  imports: [RulesModule, AlertsModule],
  providers: [PartitionStateRepository, DetectionService, DetectionConsumer],
  exports: [DetectionService],
})
export class DetectionModule {}
