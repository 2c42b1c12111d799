import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('auth-gateway');
