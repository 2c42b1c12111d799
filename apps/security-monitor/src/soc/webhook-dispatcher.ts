import type { Logger } from 'winston';
import {
  formatAlertAs,
  isAtLeast,
  webhookSignatureHeader,
  type AlertEventEnvelope,
  type AlertFormat,
  type Severity,
  type SocContext,
} from '@vigil/contracts';
import { socMetrics } from './soc.metrics';

/*
 * The escalation webhook (seed 003: alerts raise incidents in the ticketing system). Alerts at or
 * above the minimum severity are queued (bounded) and POSTed by a few workers, so a slow receiver
 * never slows detection. Each attempt is signed afresh (X-Vigil-Signature: t=<unix>,v1=<hex>).
 * Retried: network errors, timeouts, 408, 429 and 5xx, with exponential backoff and full jitter,
 * Retry-After honoured on 429 and 503, within MONITOR_WEBHOOK_MAX_ATTEMPTS and _MAX_ELAPSED_SECONDS.
 * Not retried: any other 4xx (the receiver refused this request: sending it again changes nothing)
 * and 3xx (redirects are not followed: the signed body goes only where it was configured to).
 * What is not delivered goes to the DLQ with the reason, the attempts and the alert itself.
 * The URL (it may carry a token) and the secret are never logged; logs name the alert and the status.
 */

export type DeadLetterReason =
  'rejected' | 'retries_exhausted' | 'deadline_exceeded' | 'queue_full' | 'shutdown';

export interface DeadLetter {
  event: AlertEventEnvelope;
  reason: DeadLetterReason;
  detail: string;
  attempts: number;
  lastStatus?: number;
  format: AlertFormat;
  firstAttemptAt?: string;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  format: AlertFormat;
  minSeverity: Severity;
  statuses: readonly string[];
  maxAttempts: number;
  maxElapsedMs: number;
  backoffMs: number;
  backoffMaxMs: number;
  timeoutMs: number;
  queueMax: number;
  concurrency: number;
  ctx: SocContext;
  logger: Logger;
  deadLetter: (d: DeadLetter) => Promise<void>;
  /** Tests inject these; production uses fetch, timers and Math.random. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface Job {
  event: AlertEventEnvelope;
  queuedAt: number;
}

export interface WebhookStatus {
  queued: number;
  inFlight: number;
  /** Consecutive failed attempts across deliveries (0 once one succeeds). */
  consecutiveFailures: number;
  /** Escalations dead-lettered within the last DEAD_LETTER_WINDOW_MS (health reports degraded meanwhile). */
  recentDeadLetters: number;
  lastOutcome?: { outcome: string; at: string; alertId: string; status?: number };
}

/** How long a dead-lettered escalation keeps the health check degraded. */
export const DEAD_LETTER_WINDOW_MS = 15 * 60_000;

const CONTENT_TYPE: Record<AlertFormat, string> = {
  json: 'application/json',
  ocsf: 'application/json',
  ecs: 'application/json',
};

/** Retry-After as a delay in ms: delta-seconds or an HTTP date; undefined if absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Capped exponential backoff with full jitter before retry `attempt` (1 = the first retry). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(1, Math.round(ceiling * random()));
}

type AttemptResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status?: number; detail: string; retryAfterMs?: number }
  | { kind: 'rejected'; status: number; detail: string };

export class WebhookDispatcher {
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private stopped = false;
  private consecutiveFailures = 0;
  private lastOutcome?: WebhookStatus['lastOutcome'];
  private deadLetteredAt: number[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly activeAlerts = new Set<string>();
  private readonly abort = new AbortController();

  constructor(private readonly o: WebhookOptions) {}

  get status(): WebhookStatus {
    return {
      queued: this.queue.length,
      inFlight: this.inFlight,
      consecutiveFailures: this.consecutiveFailures,
      recentDeadLetters: this.recentDeadLetters(),
      ...(this.lastOutcome ? { lastOutcome: { ...this.lastOutcome } } : {}),
    };
  }

  private recentDeadLetters(): number {
    const since = Date.now() - DEAD_LETTER_WINDOW_MS;
    this.deadLetteredAt = this.deadLetteredAt.filter((t) => t >= since);
    return this.deadLetteredAt.length;
  }

  /** Whether this transition is escalated (severity and status filters). */
  wants(e: AlertEventEnvelope): boolean {
    return (
      isAtLeast(e.attributes.severity, this.o.minSeverity) && this.o.statuses.includes(e.attributes.status)
    );
  }

  /** Queues the escalated transitions; returns at once. A full queue dead-letters the newcomer (reason queue_full). */
  offer(events: AlertEventEnvelope[]): void {
    for (const event of events) {
      if (!this.wants(event)) continue;
      if (this.stopped) {
        void this.finish({ event, queuedAt: Date.now() }, 'shutdown', 'the monitor is stopping', 0);
        continue;
      }
      if (this.queue.length >= this.o.queueMax) {
        void this.finish(
          { event, queuedAt: Date.now() },
          'queue_full',
          `webhook queue full (${this.o.queueMax} waiting)`,
          0,
        );
        continue;
      }
      this.queue.push({ event, queuedAt: Date.now() });
      this.pump(); // free workers take it at once: the bound is on what waits
    }
  }

  /** Delivers one escalation now, outside the queue (the replay CLI): resolves once delivered or dead-lettered. */
  async deliverNow(event: AlertEventEnvelope): Promise<void> {
    await this.deliver({ event, queuedAt: Date.now() });
  }

  /**
   * Stops taking work; waits up to `graceMs` for deliveries in flight, then aborts them and
   * dead-letters everything not delivered (reason shutdown), so a restart loses nothing.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    const pending = this.queue.splice(0);
    const deadline = new Promise((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.all([...this.running]), deadline]);
    this.abort.abort();
    await Promise.all([...this.running]);
    await Promise.all(
      pending.map((j) => this.finish(j, 'shutdown', 'the monitor stopped before delivery', 0)),
    );
  }

  /**
   * Starts queued jobs on free workers, oldest first, but one at a time per alert: an alert's
   * resolved never overtakes its firing that is still being retried (a ticket is opened before it
   * is closed).
   */
  private pump(): void {
    while (!this.stopped && this.inFlight < this.o.concurrency) {
      const i = this.queue.findIndex((j) => !this.activeAlerts.has(j.event.attributes.alertId));
      if (i < 0) return;
      const [job] = this.queue.splice(i, 1);
      const alertId = job.event.attributes.alertId;
      this.activeAlerts.add(alertId);
      this.inFlight++;
      const p = this.deliver(job).finally(() => {
        this.inFlight--;
        this.activeAlerts.delete(alertId);
        this.running.delete(p);
        this.pump();
      });
      this.running.add(p);
    }
  }

  private async deliver(job: Job): Promise<void> {
    const { event } = job;
    const started = Date.now();
    let body: string;
    try {
      body = formatAlertAs(this.o.format, event, this.o.ctx);
    } catch (err) {
      await this.finish(
        job,
        'rejected',
        `cannot render the ${this.o.format} body: ${(err as Error).message}`,
        0,
      );
      return;
    }
    const random = this.o.random ?? Math.random;
    let last: AttemptResult | undefined;
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      if (this.abort.signal.aborted) {
        await this.finish(
          job,
          'shutdown',
          'the monitor stopped during delivery',
          attempt - 1,
          statusOf(last),
        );
        return;
      }
      last = await this.attempt(event, body, attempt);
      if (last.kind === 'delivered') {
        this.consecutiveFailures = 0;
        await this.finish(job, 'delivered', `HTTP ${last.status}`, attempt, last.status);
        return;
      }
      this.consecutiveFailures++;
      if (last.kind === 'rejected') {
        await this.finish(job, 'rejected', last.detail, attempt, last.status);
        return;
      }
      if (attempt === this.o.maxAttempts) break;
      const elapsed = Date.now() - started;
      const backoff = backoffDelay(attempt, this.o.backoffMs, this.o.backoffMaxMs, random);
      const wait = last.retryAfterMs !== undefined ? Math.max(last.retryAfterMs, 1) : backoff;
      if (elapsed + wait > this.o.maxElapsedMs) {
        await this.finish(
          job,
          'deadline_exceeded',
          `${last.detail}; next attempt in ${wait} ms would pass MONITOR_WEBHOOK_MAX_ELAPSED_SECONDS`,
          attempt,
          last.status,
        );
        return;
      }
      this.o.logger.warn('escalation webhook attempt failed; retrying', {
        alertId: event.attributes.alertId,
        eventId: event.id,
        attempt,
        status: last.status,
        detail: last.detail,
        retryInMs: wait,
      });
      await this.sleep(wait);
    }
    await this.finish(
      job,
      'retries_exhausted',
      `${last?.kind === 'retry' ? last.detail : 'failed'} after ${this.o.maxAttempts} attempts`,
      this.o.maxAttempts,
      statusOf(last),
    );
  }

  private async attempt(event: AlertEventEnvelope, body: string, attempt: number): Promise<AttemptResult> {
    const doFetch = this.o.fetch ?? fetch;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs)]);
    try {
      const res = await doFetch(this.o.url, {
        method: 'POST',
        redirect: 'manual',
        signal,
        headers: {
          'content-type': CONTENT_TYPE[this.o.format],
          'user-agent': 'vigil-security-monitor',
          'x-vigil-signature': webhookSignatureHeader(this.o.secret, Math.floor(Date.now() / 1000), body),
          'x-vigil-event-id': event.id,
          'x-vigil-alert-id': event.attributes.alertId,
          'x-vigil-format': this.o.format,
          'x-vigil-delivery-attempt': String(attempt),
        },
        body,
      });
      await res.arrayBuffer().catch(() => undefined); // drain: the connection is reused
      const s = res.status;
      socMetrics().webhookAttempts.add(1, { result: `${Math.floor(s / 100)}xx` });
      if (s >= 200 && s < 300) return { kind: 'delivered', status: s };
      if (s === 408 || s === 429 || s >= 500)
        return {
          kind: 'retry',
          status: s,
          detail: `HTTP ${s}`,
          ...(s === 429 || s === 503 ? { retryAfterMs: retryAfterMs(res.headers.get('retry-after')) } : {}),
        };
      return {
        kind: 'rejected',
        status: s,
        detail: s >= 300 && s < 400 ? `HTTP ${s} (redirects are not followed)` : `HTTP ${s} (not retried)`,
      };
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      socMetrics().webhookAttempts.add(1, { result: timeout ? 'timeout' : 'network' });
      return {
        kind: 'retry',
        detail: timeout ? `timed out after ${this.o.timeoutMs} ms` : `network error: ${causeOf(err)}`,
      };
    }
  }

  private async finish(
    job: Job,
    outcome: 'delivered' | DeadLetterReason,
    detail: string,
    attempts: number,
    lastStatus?: number,
  ): Promise<void> {
    const m = socMetrics();
    m.webhookDeliveries.add(1, { outcome });
    m.webhookLatency.record((Date.now() - job.queuedAt) / 1000, { outcome });
    const alertId = job.event.attributes.alertId;
    this.lastOutcome = {
      outcome,
      at: new Date().toISOString(),
      alertId,
      ...(lastStatus !== undefined ? { status: lastStatus } : {}),
    };
    if (outcome === 'delivered') {
      this.o.logger.info('escalation webhook delivered', {
        alertId,
        eventId: job.event.id,
        attempts,
        status: lastStatus,
      });
      return;
    }
    this.deadLetteredAt.push(Date.now());
    this.o.logger.error('escalation webhook failed; dead-lettered', {
      alertId,
      eventId: job.event.id,
      reason: outcome,
      detail,
      attempts,
      status: lastStatus,
    });
    try {
      await this.o.deadLetter({
        event: job.event,
        reason: outcome,
        detail,
        attempts,
        format: this.o.format,
        ...(lastStatus !== undefined ? { lastStatus } : {}),
      });
    } catch (err) {
      // The alert itself is on the alerts topic; this escalation is what is lost, and it is said so.
      this.o.logger.error('escalation could not be dead-lettered', {
        alertId,
        eventId: job.event.id,
        err: (err as Error).message,
      });
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.o.sleep) return this.o.sleep(ms);
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const signal = this.abort.signal;
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}

const statusOf = (r: AttemptResult | undefined) => (r && 'status' in r ? r.status : undefined);

/** The network error's code or message; never the URL (undici puts the cause in err.cause). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).name ?? 'error';
}
