import { createHash } from 'node:crypto';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import {
  CURRENT_SCHEMA_VERSION,
  decodeEvent,
  encodeEvent,
  EventContractError,
  EventType,
  type EventEnvelope,
  type Outcome,
} from '@vigil/contracts';
import type { EventSpec, FixtureCase, FixtureFile } from './fixture-file';

/*
 * A case's event specs -> the events the monitor's consumer would hand the stages: each spec
 * expanded (`repeat`, `every`, `{i}`), built as the gateway would (producer auth-gateway, the
 * current schema version, a UUIDv7 id derived from file, case and index so a run is reproducible),
 * encoded to bytes and decoded by the contracts decoder the live consumer uses. An event the
 * decoder refuses is a malformed fixture: named by file, case, spec and repeat, with the decoder's
 * detail (paths and rule names, never values).
 */

export const FIXTURE_PRODUCER = 'auth-gateway';

/** The outcome a type's events usually carry (an event spec may say otherwise). */
const USUAL_OUTCOME: Partial<Record<EventType, Outcome>> = {
  [EventType.FAILED_AUTH_LOGIN]: 'failure',
  [EventType.TOKEN_VALIDATION_FAILED]: 'failure',
  [EventType.CLIENT_AUTH_FAILED]: 'failure',
  [EventType.TOKEN_REFRESH_REUSE]: 'denied',
  [EventType.ACCESS_DENIED]: 'denied',
  [EventType.RATE_LIMITED]: 'denied',
  [EventType.JUNK_REQUESTS_AGGREGATED]: 'denied',
  // Policy refusals (admin target, lock cap); an untrusted command is `failure`: say so in the spec.
  [EventType.SECURITY_ACTION_REJECTED]: 'denied',
  [EventType.SERVER_ERROR]: 'error',
};

export const usualOutcomeOf = (type: EventType): Outcome => USUAL_OUTCOME[type] ?? 'success';

/** An event of a case, and which spec line and repeat it came from. */
export interface FixtureEvent {
  event: EventEnvelope;
  spec: number;
  repeat: number;
}

/** One or more events of a case the contracts refuse. */
export class FixtureEventError extends Error {
  constructor(readonly problems: string[]) {
    super(`fixture events refused: ${problems.join('; ')}`);
    this.name = 'FixtureEventError';
  }
}

/** Deterministic UUIDv7: the event's time, random bits from (fixture file name, case, index). */
export function fixtureEventId(file: string, caseName: string, index: number, t: number): string {
  const random = createHash('sha256')
    .update(JSON.stringify([path.basename(file), caseName, index]))
    .digest()
    .subarray(0, 16);
  return uuidv7({ msecs: t, random });
}

const substitute = (v: unknown, i: number): unknown => {
  if (typeof v === 'string') return v.split('{i}').join(String(i));
  if (Array.isArray(v)) return v.map((x) => substitute(x, i));
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, i)]));
  return v;
};

/** The candidate event (not yet validated) for repeat `i` of a spec at time `t`. */
function candidateOf(spec: EventSpec, i: number, t: number, id: string): Record<string, unknown> {
  const s = (v: string | undefined) => (v === undefined ? undefined : (substitute(v, i) as string));
  const subject = { userId: s(spec.userId), username: s(spec.username) };
  const source = { ip: s(spec.ip), userAgent: s(spec.userAgent) };
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return defined({
    id,
    type: spec.type,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    occurredAt: new Date(t).toISOString(),
    producer: FIXTURE_PRODUCER,
    actor: spec.actor ? substitute(spec.actor, i) : undefined,
    subject: subject.userId || subject.username ? defined(subject) : undefined,
    source: source.ip || source.userAgent ? defined(source) : undefined,
    outcome: spec.outcome ?? usualOutcomeOf(spec.type),
    reason: s(spec.reason),
    attributes: substitute(spec.attributes ?? {}, i),
  });
}

/**
 * Expands a case into decoded events in event-time order (ties keep the order of the file).
 * @throws FixtureEventError naming every event the contracts refuse.
 */
export function expandCase(fixture: FixtureFile, c: FixtureCase): FixtureEvent[] {
  const raw: Array<{ spec: number; repeat: number; t: number; s: EventSpec }> = [];
  c.events.forEach((s, spec) => {
    for (let i = 0; i < s.repeat; i++)
      raw.push({ spec, repeat: i, t: fixture.base + Math.round((s.at + i * s.every) * 1000), s });
  });
  raw.sort((a, b) => a.t - b.t || a.spec - b.spec || a.repeat - b.repeat);
  const problems: string[] = [];
  const out: FixtureEvent[] = [];
  raw.forEach(({ spec, repeat, t, s }, index) => {
    const where = `${fixture.file}: case "${c.name}".events[${spec}]${s.repeat > 1 ? ` (repeat ${repeat})` : ''}`;
    const candidate = candidateOf(s, repeat, t, fixtureEventId(fixture.file, c.name, index, t));
    let bytes: Buffer;
    try {
      bytes = encodeEvent(candidate as unknown as EventEnvelope);
    } catch (err) {
      problems.push(`${where}: ${err instanceof EventContractError ? err.detail : 'cannot be encoded'}`);
      return;
    }
    const decoded = decodeEvent(bytes);
    if (!decoded.ok) {
      // Once per spec: its repeats fail the same way.
      if (!problems.some((p) => p.startsWith(`${fixture.file}: case "${c.name}".events[${spec}]`)))
        problems.push(`${where}: refused by the contracts (${decoded.reason}): ${decoded.detail}`);
      return;
    }
    out.push({ event: decoded.event, spec, repeat });
  });
  if (problems.length) throw new FixtureEventError(problems);
  return out;
}
