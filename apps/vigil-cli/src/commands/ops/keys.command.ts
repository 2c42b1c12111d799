import { Command } from 'commander';
import { action } from '../../command';
import { ExitCode, UsageError } from '../../errors';
import { table } from '../../output';
import { checkReason } from './ops-args';

export interface KeyDescription {
  kid: string;
  alg: string;
  state: 'signing' | 'pending' | 'retiring' | 'expired';
  createdAt: string;
  activatesAt: string;
  ageDays: number;
  published: boolean;
}

export interface KeysView {
  keys: KeyDescription[];
  signingKid: string;
  nextRotationAt: string | null;
}

/** Seed 000-54 / 004-45: the signing key is older than the limit (undefined: within it). */
export function staleSigningKey(view: KeysView, maxAgeDays: number): KeyDescription | undefined {
  const signing = view.keys.find((k) => k.kid === view.signingKid);
  return signing && signing.ageDays > maxAgeDays ? signing : undefined;
}

export function formatKeys(view: KeysView): string {
  return [
    table(
      view.keys.map((k) => ({
        kid: k.kid,
        alg: k.alg,
        state: k.state,
        ageDays: k.ageDays,
        created: k.createdAt,
        activates: k.activatesAt,
        inJwks: k.published ? 'yes' : 'no',
      })),
    ),
    `next scheduled rotation: ${view.nextRotationAt ?? 'never (SIGNING_KEY_ROTATION_DAYS=0)'}`,
  ].join('\n');
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      "The auth-gateway's access-token signing keys (public kids only; private keys never leave its key directory)",
    );

  keys
    .command('list')
    .option(
      '--max-age-days <days>',
      'exit 1 when the signing key is older than this (seed 000-54 quarterly check: 90)',
    )
    .description(
      'Every key with its state (signing, pending, retiring, expired), age in days and whether the JWKS publishes it',
    )
    .action(
      action<[], { maxAgeDays?: string }>(async (ctx, opts) => {
        const maxAge = opts.maxAgeDays === undefined ? undefined : Number(opts.maxAgeDays);
        if (maxAge !== undefined && !(Number.isInteger(maxAge) && maxAge >= 0))
          throw new UsageError('--max-age-days: a whole number of days');
        const view = await ctx.api('auth-gateway').get<KeysView>('api/v1/admin/keys');
        ctx.print(view, formatKeys);
        const stale = maxAge === undefined ? undefined : staleSigningKey(view, maxAge);
        if (stale) {
          ctx.io.stderr(
            `vigil: the signing key ${stale.kid} is ${stale.ageDays} days old (limit ${maxAge}): run \`vigil keys rotate\``,
          );
          return ExitCode.failed;
        }
      }),
    );

  keys
    .command('rotate')
    .requiredOption('--reason <text>', 'why (kept in the SIGNING_KEY_ROTATED event)')
    .option(
      '--now',
      'sign with the new key at once instead of after the pre-publication delay (SIGNING_KEY_PREPUBLISH_SECONDS); services that fetched the JWKS in the last 30 s refuse tokens signed with it until they refetch',
    )
    .option(
      '--retire-previous',
      'implies --now: withdraw the earlier keys from the JWKS at once; tokens they signed stop verifying at the gateway now, at the other services when their JWKS cache refreshes (clients log in again). Use when a key was exposed',
    )
    .description(
      'Seed 000-42: a new signing key, published at once and signing after the pre-publication delay (--now: at once); earlier keys keep verifying until their tokens expire unless --retire-previous',
    )
    .addHelpText(
      'after',
      `
After an exposure (seed 003-23): vigil keys rotate --retire-previous --reason "..." and end every
session too: vigil sessions revoke-all --reason "...".`,
    )
    .action(
      action<[], { reason: string; now?: boolean; retirePrevious?: boolean }>(async (ctx, opts) => {
        const r = await ctx
          .api('auth-gateway')
          .post<KeysView & { rotatedTo: string; previousKid: string; activatesAt: string }>(
            'api/v1/admin/keys/rotate',
            {
              reason: checkReason('--reason', opts.reason),
              immediate: opts.now === true,
              retirePrevious: opts.retirePrevious === true,
            },
          );
        ctx.print(
          r,
          (x) =>
            `new signing key ${x.rotatedTo}, signing from ${x.activatesAt} (was ${x.previousKid}${opts.retirePrevious ? ', withdrawn' : ', still verifying until its tokens expire'})\n${formatKeys(x)}`,
        );
      }),
    );
}
