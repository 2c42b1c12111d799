import { Module } from '@nestjs/common';
import { ActionSigner } from './action-signer';
import { SocModule } from '../soc/soc.module';
import { AlertPublisher } from './alert-publisher';

/** Alert transitions and signed responses out (alerts and actions topics), then SOC delivery. The operator view is alerts.cli.ts. */
@Module({ imports: [SocModule], providers: [ActionSigner, AlertPublisher], exports: [AlertPublisher] })
export class AlertsModule {}
