import { Command } from 'commander';
import { action } from '../../command';
import { checkReason } from './ops-args';

interface MaintenanceView {
  enabled: boolean;
  reason: string | null;
  since: string;
  changedBy: string | null;
  changed?: boolean;
}

const PATH = 'api/v1/admin/maintenance';

export const formatMaintenance = (m: MaintenanceView): string =>
  m.enabled
    ? `maintenance mode ON since ${m.since}${m.reason ? `: ${m.reason}` : ''} (logins, token grants, refreshes and password changes answer 503)`
    : `maintenance mode off (since ${m.since})`;

export function registerMaintenance(program: Command): void {
  const maintenance = program
    .command('maintenance')
    .description(
      "Seed 004-34 containment: the gateway's maintenance mode, on every instance. While on, logins, token grants, refreshes and password changes answer 503 with Retry-After; issued tokens, health and the admin API keep working",
    );

  maintenance
    .command('on')
    .requiredOption(
      '--reason <text>',
      'shown to clients in the 503 and kept in the MAINTENANCE_MODE_CHANGED event',
    )
    .description('Turn maintenance mode on (a second `on` only updates the reason)')
    .action(
      action<[], { reason: string }>(async (ctx, opts) => {
        const m = await ctx
          .api('auth-gateway')
          .put<MaintenanceView>(PATH, { enabled: true, reason: checkReason('--reason', opts.reason) });
        ctx.print(m, formatMaintenance);
      }),
    );

  maintenance
    .command('off')
    .description('Turn maintenance mode off: logins work again (within a second on every instance)')
    .action(
      action(async (ctx) => {
        const m = await ctx.api('auth-gateway').put<MaintenanceView>(PATH, { enabled: false });
        ctx.print(m, formatMaintenance);
      }),
    );

  maintenance
    .command('status')
    .description('Whether maintenance mode is on, since when and why')
    .action(
      action(async (ctx) => {
        ctx.print(await ctx.api('auth-gateway').get<MaintenanceView>(PATH), formatMaintenance);
      }),
    );
}
