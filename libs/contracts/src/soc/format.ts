import { toEcsAlert } from './ecs';
import { toOcsfDetectionFinding } from './ocsf';
import { ALERT_FORMATS, type AlertEventEnvelope, type AlertFormat, type SocContext } from './soc-common';

/** One alert transition in `format`, as one JSON line (json = the SECURITY_ALERT event as published). */
export function formatAlertAs(format: AlertFormat, e: AlertEventEnvelope, ctx: SocContext): string {
  switch (format) {
    case 'ocsf':
      return JSON.stringify(toOcsfDetectionFinding(e, ctx));
    case 'ecs':
      return JSON.stringify(toEcsAlert(e, ctx));
    case 'json':
      return JSON.stringify(e);
  }
}

export function isAlertFormat(v: string): v is AlertFormat {
  return (ALERT_FORMATS as readonly string[]).includes(v);
}
