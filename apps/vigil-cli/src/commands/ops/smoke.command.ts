import { Command } from 'commander';
import type { ApiClient } from '../../api-client';
import { action } from '../../command';
import { adminCredentials } from '../../config';
import type { CliContext } from '../../context';
import { CliError, ExitCode, UsageError } from '../../errors';

export interface SmokeStep {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
  /** The failure was the service being unreachable or answering 5xx. */
  unavailable?: boolean;
}

/** Runs steps in order, timing each; stops at the first failure (later steps depend on earlier ones). */
export async function runSteps(
  steps: Array<[string, () => Promise<string>]>,
  onStep: (s: SmokeStep) => void = () => undefined,
  now: () => number = () => performance.now(),
): Promise<SmokeStep[]> {
  const done: SmokeStep[] = [];
  for (const [name, fn] of steps) {
    const started = now();
    let step: SmokeStep;
    try {
      step = { step: name, ok: true, ms: 0, detail: await fn() };
    } catch (err) {
      const unavailable = err instanceof CliError && err.exitCode === ExitCode.unavailable;
      step = {
        step: name,
        ok: false,
        ms: 0,
        detail: err instanceof Error ? err.message : String(err),
        unavailable,
      };
    }
    step.ms = Math.round((now() - started) * 10) / 10;
    done.push(step);
    onStep(step);
    if (!step.ok) break;
  }
  return done;
}

/** The steps' exit code: 0 all passed; 3 the gateway was unavailable; 1 a step failed. */
export function smokeExitCode(steps: SmokeStep[], expected: number): number {
  const failed = steps.find((s) => !s.ok);
  if (failed) return failed.unavailable ? ExitCode.unavailable : ExitCode.failed;
  return steps.length === expected ? ExitCode.ok : ExitCode.failed;
}

class StepFailed extends CliError {}

function expectStatus(what: string, got: number, want: number): void {
  if (got !== want) throw new StepFailed(`${what}: expected ${want}, got ${got}`);
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

function smokeCredentials(ctx: CliContext): { username: string; password: string } {
  const env = ctx.io.env;
  if (env.VIGIL_SMOKE_USERNAME && env.VIGIL_SMOKE_PASSWORD)
    return { username: env.VIGIL_SMOKE_USERNAME, password: env.VIGIL_SMOKE_PASSWORD };
  if (env.VIGIL_SMOKE_USERNAME || env.VIGIL_SMOKE_PASSWORD)
    throw new UsageError('VIGIL_SMOKE_USERNAME and VIGIL_SMOKE_PASSWORD are set together, or neither');
  const admin = adminCredentials(ctx.config);
  if (!admin)
    throw new UsageError(
      'smoke logs in: set VIGIL_SMOKE_USERNAME and VIGIL_SMOKE_PASSWORD (a test account), or the admin credentials (VIGIL_ADMIN_USERNAME/PASSWORD or .cache/admin-credentials); a token alone is not enough',
    );
  return admin;
}

/** The smoke test: each step needs the one before it (a session to refresh, a token to revoke). */
export function smokeSteps(
  gw: ApiClient,
  creds: { username: string; password: string },
): Array<[string, () => Promise<string>]> {
  let session: Tokens | undefined;
  let rotated: Tokens | undefined;
  const bearer = (t: string) => ({ anonymous: true, headers: { authorization: `Bearer ${t}` } });
  return [
    [
      'health',
      async () => {
        const r = await gw.request<{ status?: string }>('GET', 'api/v1/health', {
          anonymous: true,
          accept: [503],
        });
        expectStatus('GET /api/v1/health', r.status, 200);
        const bare = await gw.request('GET', 'health', { anonymous: true, accept: [404, 503] });
        expectStatus('GET /health', bare.status, 200);
        return `/api/v1/health and /health: ${r.body.status ?? 'ok'}`;
      },
    ],
    [
      'login',
      async () => {
        const r = await gw.request<Tokens>('POST', 'api/v1/auth/login', {
          anonymous: true,
          body: creds,
          accept: [401, 403, 429],
        });
        expectStatus(`POST /api/v1/auth/login as ${creds.username}`, r.status, 200);
        if (!r.body.access_token || !r.body.refresh_token)
          throw new StepFailed('login answered without tokens');
        session = r.body;
        return `as ${creds.username}: access token for ${r.body.expires_in}s`;
      },
    ],
    [
      'me',
      async () => {
        const r = await gw.request<{ username?: string; roles?: string[] }>('GET', 'api/v1/auth/me', {
          ...bearer(session!.access_token),
          accept: [401],
        });
        expectStatus('GET /api/v1/auth/me', r.status, 200);
        return `${r.body.username} (${(r.body.roles ?? []).join(', ')})`;
      },
    ],
    [
      'me alias',
      async () => {
        const r = await gw.request('GET', 'api/auth/me', {
          ...bearer(session!.access_token),
          accept: [401, 404],
        });
        expectStatus('GET /api/auth/me (seed 004-59)', r.status, 200);
        return '/api/auth/me answers';
      },
    ],
    [
      'refresh',
      async () => {
        const r = await gw.request<Tokens>('POST', 'api/v1/auth/refresh', {
          anonymous: true,
          body: { refreshToken: session!.refresh_token },
          accept: [401],
        });
        expectStatus('POST /api/v1/auth/refresh', r.status, 200);
        if (r.body.refresh_token === session!.refresh_token)
          throw new StepFailed('refresh did not rotate the refresh token');
        rotated = r.body;
        const me = await gw.request('GET', 'api/v1/auth/me', {
          ...bearer(rotated.access_token),
          accept: [401],
        });
        expectStatus('GET /api/v1/auth/me with the refreshed token', me.status, 200);
        return 'rotated; the new access token works';
      },
    ],
    [
      'revoke',
      async () => {
        const r = await gw.request('POST', 'api/v1/auth/revoke', {
          ...bearer(rotated!.access_token),
          accept: [401],
        });
        expectStatus('POST /api/v1/auth/revoke', r.status, 200);
        const after = await gw.request('GET', 'api/v1/auth/me', {
          ...bearer(rotated!.access_token),
          accept: [401],
        });
        expectStatus('GET /api/v1/auth/me after revoke', after.status, 401);
        const refresh = await gw.request('POST', 'api/v1/auth/refresh', {
          anonymous: true,
          body: { refreshToken: rotated!.refresh_token },
          accept: [401],
        });
        expectStatus('POST /api/v1/auth/refresh after revoke', refresh.status, 401);
        return 'session ended: its access and refresh tokens are refused';
      },
    ],
  ];
}

export function registerSmoke(program: Command): void {
  program
    .command('smoke')
    .description(
      'Smoke test of the auth flow (seeds 000-46, 002-21, 002-25, 004-57, 004-59): health, login, /me, the /api/auth/me alias, refresh, revoke; each step timed',
    )
    .addHelpText(
      'after',
      `
Logs in as VIGIL_SMOKE_USERNAME / VIGIL_SMOKE_PASSWORD (a dedicated test account), else as the admin.
The session it opens is revoked at the end. Run it after a deploy or rollback, against staging with
--base-url. Exit 0 all steps passed, 1 a step failed, 3 the gateway is unreachable or answers 5xx.`,
    )
    .action(
      action(async (ctx) => {
        const creds = smokeCredentials(ctx);
        const gw = ctx.anonymous('auth-gateway');
        const steps = smokeSteps(gw, creds);
        const results = await runSteps(steps, (s) =>
          ctx.note(
            `${s.ok ? 'PASS' : 'FAIL'}  ${s.step.padEnd(9)} ${String(s.ms).padStart(7)} ms  ${s.detail}`,
          ),
        );
        const exitCode = smokeExitCode(results, steps.length);
        if (ctx.json) ctx.print({ ok: exitCode === 0, baseUrl: gw.baseUrl, steps: results });
        else
          ctx.note(
            exitCode === 0 ? `smoke passed against ${gw.baseUrl}` : `smoke FAILED against ${gw.baseUrl}`,
          );
        return exitCode;
      }),
    );
}
