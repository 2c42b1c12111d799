import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { EventsModule } from '../events/events.module';
import { OutboxModule } from '../outbox/outbox.module';
import { MaintenanceModeController } from './maintenance-mode.controller';
import { MaintenanceModeGuard } from './maintenance-mode.guard';
import { MaintenanceModeRepository } from './maintenance-mode.repository';
import { MaintenanceModeService } from './maintenance-mode.service';

/**
 * Maintenance mode (seed 004-34): `/api/v1/admin/maintenance` and the guard on the session-making
 * routes. Not the `maintenance/` folder, which is the 30-second housekeeping.
 */
@Module({
  imports: [DatabaseModule, OutboxModule, EventsModule],
  controllers: [MaintenanceModeController],
  providers: [MaintenanceModeRepository, MaintenanceModeService, MaintenanceModeGuard],
  exports: [MaintenanceModeService, MaintenanceModeGuard],
})
export class MaintenanceModeModule {}
