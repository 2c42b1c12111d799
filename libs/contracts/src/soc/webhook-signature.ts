import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * The escalation webhook's signature (security-monitor README "SOC delivery"):
 *   X-Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * The timestamp is inside the MAC, so a receiver that refuses old timestamps refuses replays of a
 * captured request. Several v1= entries may appear while a secret is rotated: any match is valid.
 */

export const WEBHOOK_SIGNATURE_HEADER = 'X-Vigil-Signature';
/** A receiver should refuse a signature older (or newer) than this many seconds. */
export const WEBHOOK_DEFAULT_TOLERANCE_SECONDS = 300;

export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
}

export function webhookSignatureHeader(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${webhookSignature(secret, unixSeconds, body)}`;
}

export type WebhookVerification = { ok: true; timestamp: number } | { ok: false; reason: string };

/** What a receiver does: parse the header, refuse a stale timestamp, compare the MAC in constant time. */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  opts: { nowSeconds?: number; toleranceSeconds?: number } = {},
): WebhookVerification {
  if (!header) return { ok: false, reason: 'missing signature header' };
  let t: number | undefined;
  const macs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && /^\d{1,12}$/.test(v ?? '')) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '')) macs.push(v);
  }
  if (t === undefined) return { ok: false, reason: 'no timestamp in the signature header' };
  if (macs.length === 0) return { ok: false, reason: 'no v1 signature in the header' };
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? WEBHOOK_DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - t) > tolerance) return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = Buffer.from(webhookSignature(secret, t, body), 'hex');
  const match = macs.some((m) => timingSafeEqual(Buffer.from(m, 'hex'), expected));
  return match ? { ok: true, timestamp: t } : { ok: false, reason: 'signature mismatch' };
}
