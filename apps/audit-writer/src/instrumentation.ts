import { startTelemetry } from '@vigil/telemetry/register';

startTelemetry('audit-writer');
