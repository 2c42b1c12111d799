import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('security-monitor');
