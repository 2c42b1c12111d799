import { Command } from 'commander';
import { action } from '../../command';
import { table } from '../../output';
import { checkReason } from './ops-args';
import { resolveUser } from './users.command';

interface SessionView {
  id: string;
  createdAt?: string;
  lastUsedAt?: string;
  expiresAt?: string;
  ip?: string | null;
  userAgent?: string | null;
  revokedAt?: string | null;
}

export function registerSessions(program: Command): void {
  const sessions = program
    .command('sessions')
    .description(
      "Force logout (seeds 000-43, 002-31, 003-23): end sessions and their refresh-token families; the other services refuse the users' access tokens once the revocation reaches them",
    );

  sessions
    .command('list')
    .argument('<user>', 'user id, username or e-mail')
    .description("A user's sessions, newest first (never a token)")
    .action(
      action<[string]>(async (ctx, _opts, who) => {
        const user = await resolveUser(ctx, who);
        const rows = await ctx
          .api('auth-gateway')
          .get<SessionView[]>(`api/v1/admin/users/${user.id}/sessions`);
        ctx.print(rows, (r) =>
          table(
            r.map((s) => ({
              session: s.id,
              created: s.createdAt,
              lastUsed: s.lastUsedAt,
              ip: s.ip,
              revoked: s.revokedAt,
            })),
          ),
        );
      }),
    );

  sessions
    .command('revoke')
    .argument('<user>', 'user id, username or e-mail')
    .option('--session <id>', 'only this session (default: every session of the user)')
    .description("End a user's sessions (all of them, or one with --session): TOKEN_REVOKED")
    .action(
      action<[string], { session?: string }>(async (ctx, opts, who) => {
        const user = await resolveUser(ctx, who);
        const path = `api/v1/admin/users/${user.id}/sessions${opts.session ? `/${encodeURIComponent(opts.session)}` : ''}`;
        const r = await ctx.api('auth-gateway').delete<{ revoked: number }>(path);
        ctx.print(
          { user: user.id, username: user.username, ...r },
          (x) => `revoked ${x.revoked} session(s) of ${x.username}`,
        );
      }),
    );

  sessions
    .command('revoke-all')
    .requiredOption('--reason <text>', 'why (required: this logs everybody out; kept in the gateway log)')
    .option('--include-me', 'end the session this command runs as too')
    .description(
      'End every live session of every user (seed 003-23 containment, with `keys rotate`); one TOKEN_REVOKED per user. Yours is kept unless --include-me',
    )
    .action(
      action<[], { reason: string; includeMe?: boolean }>(async (ctx, opts) => {
        const reason = checkReason('--reason', opts.reason);
        const r = await ctx
          .api('auth-gateway')
          .post<{ users: number; revoked: number; keptCallerSession: boolean }>(
            'api/v1/admin/sessions/revoke-all',
            {
              reason,
              includeCaller: opts.includeMe === true,
            },
          );
        ctx.print(
          r,
          (x) =>
            `revoked ${x.revoked} session(s) of ${x.users} user(s)${x.keptCallerSession ? '; your own session was kept' : ''}`,
        );
      }),
    );
}
