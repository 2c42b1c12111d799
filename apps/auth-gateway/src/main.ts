// Telemetry first: the OpenTelemetry SDK must exist before Nest and its dependencies load.
import './instrumentation';
import { bootstrapService } from '@vigil/runtime';
import { authGatewayDefinition } from './auth-gateway.definition';

bootstrapService(authGatewayDefinition).catch((err: unknown) => {
  // A start that fails after configuration (database, keys directory, bootstrap admin) must not
  // leave a process that never listens.
  process.stderr.write(
    JSON.stringify({
      level: 'error',
      service: 'auth-gateway',
      message: 'start failed',
      error: err instanceof Error ? err.message : String(err),
    }) + '\n',
  );
  process.exit(1);
});
