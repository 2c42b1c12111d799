// Telemetry first: the OpenTelemetry SDK must exist before Nest and its dependencies load.
import './instrumentation';
import { bootstrapService } from '@vigil/runtime';
import { auditWriterDefinition } from './audit-writer.definition';

void bootstrapService(auditWriterDefinition);
