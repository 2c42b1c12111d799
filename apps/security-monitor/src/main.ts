// Telemetry first: the OpenTelemetry SDK must exist before Nest and its dependencies load.
import './instrumentation';
import { bootstrapService } from '@vigil/runtime';
import { securityMonitorDefinition } from './security-monitor.definition';

void bootstrapService(securityMonitorDefinition);
