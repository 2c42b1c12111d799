import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('retention-worker');
