import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { action } from '../../command';
import type { CliContext } from '../../context';
import { CliError, ExitCode, UsageError } from '../../errors';
import { checkReason, formatSeconds, isUuid, parseDuration } from './ops-args';
import type { UserView } from '@vigil/contracts';

export type { UserView };

const USERS = 'api/v1/admin/users';

/** The user a command names: an id, or a username / e-mail as a login would match it. Exit 1 when none. */
export async function resolveUser(ctx: CliContext, who: string): Promise<UserView> {
  const api = ctx.api('auth-gateway');
  if (isUuid(who)) return api.get<UserView>(`${USERS}/${who}`);
  const [user] = await api.get<UserView[]>(USERS, { query: { login: who } });
  if (!user) throw new CliError(`no user with username or e-mail "${who}"`, ExitCode.failed);
  return user;
}

export function formatUser(u: UserView): string {
  const state = [
    u.isActive ? 'active' : 'DEACTIVATED',
    u.lockedUntil ? `LOCKED until ${u.lockedUntil} (${u.lockReason ?? 'admin'})` : undefined,
    u.mustResetPassword ? 'MUST RESET PASSWORD at next login' : undefined,
  ].filter(Boolean);
  return [
    `${u.username} <${u.email}>  ${u.id}`,
    `  roles: ${u.roles.join(', ')}${u.isAdmin ? ' (administrator)' : ''}`,
    `  state: ${state.join('; ')}`,
    `  created ${u.createdAt}, updated ${u.updatedAt}`,
  ].join('\n');
}

/** A temporary password from a file or stdin, never from a flag (flags show in `ps` and shell history). */
function readTemporaryPassword(file: string): string {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--temporary-password-file: cannot read ${file === '-' ? 'stdin' : file} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password || password.includes('\n'))
    throw new UsageError('--temporary-password-file: the file must hold one password on one line');
  return password;
}

export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('Accounts on the auth-gateway: show, lock, unlock, force a password reset (admin API)')
    .addHelpText(
      'after',
      `
<user> is a user id, a username or an e-mail address. Every change is audited with you as the actor.`,
    );

  users
    .command('show')
    .argument('<user>', 'user id, username or e-mail')
    .description('Show an account: roles, active, locked, must reset its password')
    .action(
      action<[string]>(async (ctx, _opts, who) => {
        ctx.print(await resolveUser(ctx, who), formatUser);
      }),
    );

  users
    .command('lock')
    .argument('<user>', 'user id, username or e-mail')
    .option('--ttl <duration>', 'lock for this long (90s, 15m, 1h, 2d; at most 30d); default: until unlocked')
    .option('--reason <text>', 'why (kept in the ACCOUNT_LOCKED event)')
    .description(
      'Lock an account (seed 002-30): logins get the same 401 as a wrong password and its existing access tokens stop working',
    )
    .action(
      action<[string], { ttl?: string; reason?: string }>(async (ctx, opts, who) => {
        const ttlSeconds = opts.ttl === undefined ? undefined : parseDuration('--ttl', opts.ttl);
        const reason = opts.reason === undefined ? undefined : checkReason('--reason', opts.reason);
        const user = await resolveUser(ctx, who);
        const after = await ctx
          .api('auth-gateway')
          .post<UserView>(`${USERS}/${user.id}/lock`, { ttlSeconds, reason });
        ctx.print(
          after!,
          (u) =>
            `locked ${u.username} ${ttlSeconds ? `for ${formatSeconds(ttlSeconds)} (until ${u.lockedUntil})` : 'until unlocked'}`,
        );
      }),
    );

  users
    .command('unlock')
    .argument('<user>', 'user id, username or e-mail')
    .description("Lift an admin's or the monitor's lock, and the failed-login lockout")
    .action(
      action<[string]>(async (ctx, _opts, who) => {
        const user = await resolveUser(ctx, who);
        const after = await ctx.api('auth-gateway').post<UserView>(`${USERS}/${user.id}/unlock`, {});
        ctx.print(after, (u) => `unlocked ${u.username}`);
      }),
    );

  users
    .command('reset-password')
    .argument('<user>', 'user id, username or e-mail')
    .option('--reason <text>', 'why (kept in the PASSWORD_RESET_REQUIRED event)')
    .option(
      '--temporary-password-file <file>',
      "set this temporary password too ('-': read stdin); the user must still replace it at the next login",
    )
    .description(
      'Force a password reset (seed 000-44): every session ends, and a login with the current password is refused (403 password-change-required) until the user chooses a new one',
    )
    .addHelpText(
      'after',
      `
The user changes it with POST /api/v1/auth/password {username, currentPassword, newPassword}.
If the current password itself may be known to an attacker, give a temporary one
(--temporary-password-file) and hand it over out of band: the old password then stops working
at once, and the user must still replace the temporary one. The password is never printed.`,
    )
    .action(
      action<[string], { reason?: string; temporaryPasswordFile?: string }>(async (ctx, opts, who) => {
        const reason = opts.reason === undefined ? undefined : checkReason('--reason', opts.reason);
        const temporary =
          opts.temporaryPasswordFile === undefined
            ? undefined
            : readTemporaryPassword(opts.temporaryPasswordFile);
        const user = await resolveUser(ctx, who);
        const api = ctx.api('auth-gateway');
        let after: UserView | undefined;
        if (temporary !== undefined) {
          after = await api.post<UserView>(`${USERS}/${user.id}/password`, {
            password: temporary,
            requireChange: true,
          });
        }
        // The reason is kept in PASSWORD_RESET_REQUIRED (after a temporary password too).
        if (temporary === undefined || reason !== undefined)
          after = await api.post<UserView>(`${USERS}/${user.id}/require-password-reset`, { reason });
        ctx.print(
          after!,
          (u) =>
            `${u.username} must choose a new password at the next login; every session was ended${temporary !== undefined ? '; the temporary password is set' : ''}`,
        );
      }),
    );
}
