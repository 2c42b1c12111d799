import { isIP } from 'node:net';
import { Command } from 'commander';
import { action } from '../../command';
import { UsageError } from '../../errors';
import { table } from '../../output';
import { checkReason, formatSeconds, parseDuration } from './ops-args';
import type { IpBlockView } from '@vigil/contracts';

const BLOCKS = 'api/v1/admin/ip-blocks';

/** An address or a CIDR network, checked before anything is sent (the gateway checks the width). */
export function checkIpTarget(value: string): string {
  const [ip, bits, ...rest] = value.trim().split('/');
  const family = isIP(ip);
  const ok =
    family !== 0 &&
    rest.length === 0 &&
    (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
  if (!ok) throw new UsageError(`"${value}" is not an IPv4/IPv6 address or CIDR network`);
  return value.trim();
}

const blockRow = (b: IpBlockView) => ({
  ip: b.ip,
  until: b.blockedUntil,
  by:
    b.source === 'security_action'
      ? `monitor${b.alertId ? ` (alert ${b.alertId.slice(0, 12)})` : ''}`
      : 'admin',
  note: b.note,
});

export function registerIp(program: Command): void {
  const ip = program
    .command('ip')
    .description(
      "The gateway's IP deny-list (seeds 000-39, 003-25): blocked clients get 403 on /api/*; health and JWKS stay reachable",
    );

  ip.command('block')
    .argument('<ip>', 'an address or a CIDR network (at most /8 IPv4, /32 IPv6)')
    .requiredOption('--ttl <duration>', 'how long (90s, 15m, 1h, 2d; at most 30d): blocks always expire')
    .requiredOption('--reason <text>', 'why (kept in the IP_BLOCKED event)')
    .description(
      'Block an address or network on every gateway instance (IP_BLOCKED); blocking again replaces the expiry',
    )
    .action(
      action<[string], { ttl: string; reason: string }>(async (ctx, opts, target) => {
        const body = {
          ip: checkIpTarget(target),
          ttlSeconds: parseDuration('--ttl', opts.ttl),
          reason: checkReason('--reason', opts.reason),
        };
        const b = await ctx.api('auth-gateway').post<IpBlockView>(BLOCKS, body);
        ctx.print(
          b,
          (x) => `blocked ${x.ip} for ${formatSeconds(body.ttlSeconds)} (until ${x.blockedUntil})`,
        );
      }),
    );

  ip.command('unblock')
    .argument('<ip>', 'the address or network exactly as `ip list` shows it')
    .description('Lift a block before it expires (IP_UNBLOCKED); exit 1 when none is in force')
    .action(
      action<[string]>(async (ctx, _opts, target) => {
        const b = await ctx
          .api('auth-gateway')
          .delete<IpBlockView>(`${BLOCKS}/${encodeURIComponent(checkIpTarget(target))}`);
        ctx.print(b, (x) => `unblocked ${x.ip}`);
      }),
    );

  ip.command('list')
    .description('Blocks in force (by hand and by the security monitor), newest first')
    .action(
      action(async (ctx) => {
        const blocks = await ctx.api('auth-gateway').get<IpBlockView[]>(BLOCKS);
        ctx.print(blocks, (bs) => table(bs.map(blockRow)));
      }),
    );
}
