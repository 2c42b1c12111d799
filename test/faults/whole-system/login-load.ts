import { randomUUID } from 'node:crypto';
import { outage } from '../support';

export const PASSWORD = 'Quiet-Harbor-Lantern-42';
/** Answered failures per brute-forced account: above the warning (> 5), not above the critical (> 10). */
export const FAILURES_PER_VICTIM = 8;
const ATTEMPT_GAP_MS = 1000;
const STEADY_GAP_MS = 500;

export interface Answer {
  requestId: string;
  status: number;
  user: string;
  at: number;
}

/** An answer that is neither a success nor a wrong password (a 503 while PostgreSQL is away). */
export interface OtherAnswer {
  status: number;
  contentType: string;
  body: string;
  at: number;
}

/**
 * The clients: a steady stream of successful logins, and brute force on one account after another
 * (a new one once the current one has half its failures; each attempt with another wrong password,
 * so none is a "repeated" failure the rules skip). Every request carries its own X-Request-Id, so
 * an answer is matched to its audit row, and an unanswered request to the event it may have left.
 */
export class LoginLoad {
  readonly answered: Answer[] = [];
  readonly other: OtherAnswer[] = [];
  readonly unanswered: Array<{ requestId: string; error: string }> = [];
  readonly victimsDone: string[] = [];
  readonly victimsStarted: string[] = [];
  /** Answered failures of the account under attack right now (the newest one). */
  currentVictimFailures = 0;
  private stopping = false;
  private n = 0;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly gateway: () => string,
    private readonly steadyUsers: string[],
    private readonly victims: string[],
  ) {}

  start(): void {
    this.loops = [this.steady(), this.attack()];
  }

  /** Stops starting new attacks and steady logins; the account under attack gets its failures first. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  count(status: number): number {
    return this.answered.filter((a) => a.status === status).length;
  }

  summary(): string {
    const other = this.other.length ? `, ${this.other.length} other answers` : '';
    return `${this.answered.length} logins answered (${this.count(200)} × 200, ${this.count(401)} × 401${other}), ${this.unanswered.length} unanswered`;
  }

  private async attempt(
    kind: string,
    user: string,
    password: string,
    ip: string,
  ): Promise<number | undefined> {
    const requestId = `ws-${kind}-${++this.n}-${randomUUID().slice(0, 8)}`;
    try {
      const res = await fetch(`${this.gateway()}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, 'x-request-id': requestId },
        body: JSON.stringify({ username: user, password }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.text();
      if (res.status === 200 || res.status === 401)
        this.answered.push({ requestId, status: res.status, user, at: Date.now() });
      else
        this.other.push({
          status: res.status,
          contentType: res.headers.get('content-type') ?? '',
          body: body.slice(0, 300),
          at: Date.now(),
        });
      return res.status;
    } catch (err) {
      this.unanswered.push({ requestId, error: String((err as { cause?: unknown }).cause ?? err) });
      return undefined;
    }
  }

  private async steady(): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const u = i % this.steadyUsers.length;
      void this.attempt('ok', this.steadyUsers[u], PASSWORD, `198.51.100.${u + 1}`);
      await outage(STEADY_GAP_MS); // the load's pace, not a synchronisation
    }
  }

  private async attack(): Promise<void> {
    const running: Promise<void>[] = [];
    for (let v = 0; v < this.victims.length && !this.stopping; v++) {
      let halfway!: () => void;
      const half = new Promise<void>((r) => (halfway = r));
      running.push(this.bruteForce(v, halfway));
      await half;
    }
    await Promise.all(running);
  }

  private async bruteForce(v: number, halfway: () => void): Promise<void> {
    const victim = this.victims[v];
    this.victimsStarted.push(victim);
    this.currentVictimFailures = 0;
    let failures = 0;
    for (let k = 0; failures < FAILURES_PER_VICTIM; k++) {
      // A PostgreSQL restart answers a few attempts with 503: they are tried again, not counted.
      if (k > 200) throw new Error(`brute force on ${victim}: ${failures} answers in ${k} attempts`);
      const status = await this.attempt(
        'bf',
        victim,
        `Wrong-${v}-${k}-${randomUUID().slice(0, 6)}`,
        `203.0.113.${(v % 200) + 10}`,
      );
      if (status === 401) {
        failures++;
        if (this.victimsStarted.at(-1) === victim) this.currentVictimFailures = failures;
        if (failures === FAILURES_PER_VICTIM / 2) halfway();
      }
      if (failures < FAILURES_PER_VICTIM) await outage(ATTEMPT_GAP_MS);
    }
    halfway();
    this.victimsDone.push(victim);
  }
}
