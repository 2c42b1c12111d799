import { Module } from '@nestjs/common';
import { RulesModule } from '../rules/rules.module';
import { SocDelivery } from './soc-delivery.service';

/** SOC delivery: OCSF / ECS sinks and the escalation webhook, fed by the AlertPublisher. */
@Module({ imports: [RulesModule], providers: [SocDelivery], exports: [SocDelivery] })
export class SocModule {}
