/*
 * The network an address belongs to, without a GeoIP or ASN database: its IPv4 /24 or IPv6 /48
 * prefix, in CIDR notation (`203.0.113.0/24`, `2001:db8:7::/48`). An IPv4-mapped IPv6 address
 * (`::ffff:203.0.113.9`) is the IPv4 address it carries. Used by the new-network profile and the
 * `network` distinct field (a mobile client changing cells usually stays in one /24 of its carrier).
 */

/** The /24 or /48 of a valid IP (events' `source.ip` is validated by the contracts decoder), else undefined. */
export function networkOf(ip: string): string | undefined {
  const colon = ip.indexOf(':');
  if (colon < 0) return v4Prefix(ip);
  if (ip.indexOf('.') >= 0) {
    // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address; any other embedded IPv4 keeps its IPv6 /48.
    const head = ip.slice(0, ip.lastIndexOf(':') + 1).toLowerCase();
    if (head === '::ffff:' || head === '0:0:0:0:0:ffff:') return v4Prefix(ip.slice(head.length));
  }
  return v6Prefix(ip);
}

function v4Prefix(ip: string): string | undefined {
  const dot = ip.lastIndexOf('.');
  if (dot <= 0 || ip.length - dot > 4) return undefined;
  return `${ip.slice(0, dot)}.0/24`;
}

function v6Prefix(raw: string): string | undefined {
  const zone = raw.indexOf('%');
  const ip = zone >= 0 ? raw.slice(0, zone) : raw;
  const gap = ip.indexOf('::');
  const head = gap < 0 ? ip.split(':') : gap === 0 ? [] : ip.slice(0, gap).split(':');
  let groups: string[];
  if (gap < 0) groups = head;
  else {
    const tailText = ip.slice(gap + 2);
    const tail = tailText === '' ? [] : tailText.split(':');
    // An embedded dotted IPv4 tail stands for two groups.
    const tailGroups = tail.length && tail[tail.length - 1].includes('.') ? tail.length + 1 : tail.length;
    const run = 8 - head.length - tailGroups;
    if (run < 1) return undefined;
    groups = [...head];
    for (let i = 0; i < run && groups.length < 3; i++) groups.push('0');
    for (const g of tail) if (groups.length < 3) groups.push(g);
  }
  if (groups.length < 3) return undefined;
  const g = [0, 1, 2].map((i) => Number.parseInt(groups[i], 16));
  if (g.some((x, i) => !Number.isInteger(x) || x < 0 || x > 0xffff || !/^[0-9a-fA-F]{1,4}$/.test(groups[i])))
    return undefined;
  return `${g[0].toString(16)}:${g[1].toString(16)}:${g[2].toString(16)}::/48`;
}
