import { Module } from '@nestjs/common';
import { ActionSigner } from './action-signer';
import { AlertPublisher } from './alert-publisher';

/** Alert transitions and signed responses out (alerts and actions topics). The operator view is alerts.cli.ts. */
@Module({ providers: [ActionSigner, AlertPublisher], exports: [AlertPublisher] })
export class AlertsModule {}
